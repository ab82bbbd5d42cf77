# Stand-in for rabbitmq:3.13-management: Debian's rabbitmq-server with the management plugin. The server itself
# reads RABBITMQ_DEFAULT_USER/PASS and RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS, as compose sets them.
ARG DEBIAN_IMAGE=spaceport-local/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends rabbitmq-server \
    && rm -rf /var/lib/apt/lists/* \
    && rabbitmq-plugins enable --offline rabbitmq_management
ENV RABBITMQ_LOGS=- LANG=C.UTF-8
USER rabbitmq
EXPOSE 5672 15672
CMD ["rabbitmq-server"]
