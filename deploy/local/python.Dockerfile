# Stand-in for python:3.11-slim from Debian packages: bookworm's Python 3.11 in a venv on PATH, so `python` and
# `pip` behave as in the upstream image (pip installs into /usr/local/python).
ARG DEBIAN_IMAGE=spaceport-local/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -m venv /usr/local/python
# Extra CA certificates of this machine (a TLS-inspecting proxy in front of PyPI); empty elsewhere.
COPY ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    PATH=/usr/local/python/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8
CMD ["python3"]
