# Stand-in for minio/minio: moto's S3-protocol server (from PyPI). It keeps objects in memory, so a restart of this
# container loses them (the scenario restarts workers, never storage), and it does not check credentials.
ARG PYTHON_IMAGE=spaceport-local/python:3.11
FROM ${PYTHON_IMAGE}
RUN pip install --no-cache-dir --disable-pip-version-check "moto[server]>=5,<6"
EXPOSE 9000
CMD ["moto_server", "-H", "0.0.0.0", "-p", "9000"]
