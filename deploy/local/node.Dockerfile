# Stand-in for node:20-bookworm-slim (the monitor's engine stage only runs `npm ci`): Debian's nodejs and npm.
ARG DEBIAN_IMAGE=spaceport-local/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# Extra CA certificates of this machine (a TLS-inspecting proxy in front of the npm registry); empty elsewhere.
COPY ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
