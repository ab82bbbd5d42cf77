"""Build an object store from a URL: `file:///path` or `s3://bucket/prefix`."""

from pathlib import Path
from urllib.parse import urlparse

from spaceport.storage.local import LocalStore
from spaceport.storage.protocol import ObjectStore


def open_store(
    url: str,
    *,
    endpoint_url: str | None = None,
    region: str = "us-east-1",
    access_key: str | None = None,
    secret_key: str | None = None,
    create_bucket: bool = False,
) -> ObjectStore:
    """The store a URL names. Plain paths count as `file://`."""
    parsed = urlparse(url)
    if parsed.scheme in ("", "file"):
        return LocalStore(Path(parsed.path if parsed.scheme else url))
    if parsed.scheme == "s3":
        from spaceport.storage.s3 import S3Store  # boto3 is only imported where S3 is used

        store = S3Store(
            parsed.netloc,
            parsed.path,
            endpoint_url=endpoint_url,
            region=region,
            access_key=access_key,
            secret_key=secret_key,
        )
        if create_bucket:
            store.ensure_bucket()
        return store
    raise ValueError(f"unsupported storage URL {url!r}: use file:///path or s3://bucket/prefix")
