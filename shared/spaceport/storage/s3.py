"""S3 (or any S3-compatible server: MinIO, moto, Ceph...) as an object store, through boto3."""

import os
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from spaceport.storage.keys import safe_relpath
from spaceport.storage.protocol import ObjectNotFound

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
else:
    S3Client = object

MULTIPART_THRESHOLD = 64 * 1024 * 1024
S3_MAX_ATTEMPTS = 12
"""botocore's standard retries (exponential backoff with jitter, at most 20 s apart): about a minute of
retries on average, so a storage outage of tens of seconds costs a handler waiting, not a failed attempt."""


class S3Store:
    """Keys live under `prefix` in `bucket`. PUTs are atomic; multipart uploads abort on failure."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key: str | None = None,
        secret_key: str | None = None,
        multipart_threshold: int = MULTIPART_THRESHOLD,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client: S3Client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=Config(
                s3={"addressing_style": "path"},
                retries={"max_attempts": S3_MAX_ATTEMPTS, "mode": "standard"},
                connect_timeout=10,
                read_timeout=120,
            ),
        )
        self.transfer = TransferConfig(multipart_threshold=multipart_threshold, multipart_chunksize=multipart_threshold)

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist yet."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)

    def _key(self, key: str) -> str:
        trailing = "/" if key.endswith("/") else ""
        return self.prefix + safe_relpath(key.rstrip("/")) + trailing if key.strip("/") else self.prefix

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def key_of(self, uri: str) -> str:
        base = f"s3://{self.bucket}/{self.prefix}"
        if not uri.startswith(base):
            raise ValueError(f"{uri!r} is not in s3://{self.bucket}/{self.prefix}")
        rest = uri[len(base) :]
        trailing = "/" if rest.endswith("/") else ""
        return safe_relpath(rest.rstrip("/")) + trailing

    def put_bytes(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def put_file(self, key: str, path: Path) -> None:
        self.client.upload_file(str(path), self.bucket, self._key(key), Config=self.transfer)

    def get_bytes(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise ObjectNotFound(key) from exc
            raise
        body: bytes = response["Body"].read()
        return body

    def get_file(self, key: str, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.part")
        try:
            self.client.download_file(self.bucket, self._key(key), str(tmp), Config=self.transfer)
        except ClientError as exc:
            tmp.unlink(missing_ok=True)
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise ObjectNotFound(key) from exc
            raise
        os.replace(tmp, path)

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except ObjectNotFound:
            return False
        return True

    def size(self, key: str) -> int:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                raise ObjectNotFound(key) from exc
            raise
        return int(head["ContentLength"])

    def list_keys(self, prefix: str) -> list[str]:
        full = self.prefix + prefix
        keys: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=full):
            keys.extend(item["Key"][len(self.prefix) :] for item in page.get("Contents", []))
        return sorted(keys)

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            batch = [{"Key": self._key(k)} for k in keys[start : start + 1000]]
            if batch:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
