"""S3 (or any S3-compatible server: MinIO, moto, Ceph...) as an object store, through boto3.

Outages: every call keeps trying through a storage outage for up to `outage_s` on its own (`_patiently`, on the
runtime's wait schedule `spaceport.backoff`), on top of botocore's few quick retries per request. botocore's
`standard` mode alone cannot be trusted with that: its retry quota (500 tokens per client, 14 per retry, refunded
only by successes) is spent by one outage of 20 s with three requests waiting, after which every request of the
next outage fails on its first error (measured against moto behind a cut proxy: 31 retries in the first outage,
none allowed in the second).
"""

import os
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import boto3
import structlog
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from spaceport.backoff import Backoff
from spaceport.storage.keys import safe_relpath
from spaceport.storage.protocol import ObjectNotFound

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
else:
    S3Client = object

log = structlog.get_logger(__name__)
T = TypeVar("T")

MULTIPART_THRESHOLD = 64 * 1024 * 1024
S3_MAX_ATTEMPTS = 3
"""botocore's own attempts per request (standard mode): a dropped connection or a 503 is retried at once."""
S3_OUTAGE_S = 90.0
"""How long one call keeps trying through an outage, so an outage of tens of seconds costs a handler waiting,
not a failed attempt."""
_THROTTLED = {"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "RequestTimeTooSkewed"}


def transient(exc: BaseException) -> bool:
    """Whether `exc` (or an error it was raised from) says the storage was unreachable or overloaded, rather
    than that the request was wrong: a failed connection, a dropped one, a timeout, a 5xx, a throttle."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, BotoConnectionError | HTTPClientError):
            return True
        if isinstance(seen, ClientError):
            status = int(seen.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
            return status >= 500 or status == 429 or seen.response.get("Error", {}).get("Code") in _THROTTLED
        last = getattr(seen, "last_exception", None)  # download retries exhausted (boto3 / s3transfer)
        seen = last if isinstance(last, BaseException) else (seen.__cause__ or seen.__context__)
    return False


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
        outage_s: float = S3_OUTAGE_S,
    ) -> None:
        self.bucket = bucket
        self.outage_s = outage_s
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

    def _patiently(self, what: str, call: Callable[[], T]) -> T:
        """`call()`, tried again after transient errors (`transient`) until `outage_s` has passed since the first
        try; any other error, or the last transient one, is raised."""
        backoff = Backoff(self.outage_s)
        attempt = 0
        while True:
            try:
                return call()
            except Exception as exc:
                wait = backoff.next_wait() if transient(exc) else None
                if wait is None:
                    raise
                attempt += 1
                log.warning("storage_retry", op=what, attempt=attempt, error=type(exc).__name__, wait_s=round(wait, 2))
                time.sleep(wait)

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist yet."""
        try:
            self._patiently("head_bucket", lambda: self.client.head_bucket(Bucket=self.bucket))
        except ClientError:
            self._patiently("create_bucket", lambda: self.client.create_bucket(Bucket=self.bucket))

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
        self._patiently("put_object", lambda: self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data))

    def put_file(self, key: str, path: Path) -> None:
        self._patiently(
            "upload_file",
            lambda: self.client.upload_file(str(path), self.bucket, self._key(key), Config=self.transfer),
        )

    def get_bytes(self, key: str) -> bytes:
        try:
            body: bytes = self._patiently(
                "get_object", lambda: self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise ObjectNotFound(key) from exc
            raise
        return body

    def get_file(self, key: str, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.part")
        try:
            self._patiently(
                "download_file",
                lambda: self.client.download_file(self.bucket, self._key(key), str(tmp), Config=self.transfer),
            )
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
            head = self._patiently(
                "head_object", lambda: self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                raise ObjectNotFound(key) from exc
            raise
        return int(head["ContentLength"])

    def list_keys(self, prefix: str) -> list[str]:
        return self._patiently("list_objects", lambda: self._list_keys(prefix))

    def _list_keys(self, prefix: str) -> list[str]:
        full = self.prefix + prefix
        keys: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=full):
            keys.extend(item["Key"][len(self.prefix) :] for item in page.get("Contents", []))
        return sorted(keys)

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            batch = {"Objects": [{"Key": self._key(k)} for k in keys[start : start + 1000]], "Quiet": True}
            self._patiently("delete_objects", partial(self.client.delete_objects, Bucket=self.bucket, Delete=batch))
