"""Object storage: one protocol, an S3 adapter and a local-folder adapter."""

from spaceport.storage.factory import open_store
from spaceport.storage.keys import COMPLETION_RECORD, UnsafeKey, job_key, job_prefix, job_root, safe_relpath
from spaceport.storage.local import LocalStore
from spaceport.storage.protocol import ObjectNotFound, ObjectStore
from spaceport.storage.transfer import OutputSet, download_dir, output_set, upload_dir


def __getattr__(name: str) -> object:
    """`S3Store` is imported lazily so that boto3 loads only where S3 is used."""
    if name == "S3Store":
        from spaceport.storage.s3 import S3Store

        return S3Store
    raise AttributeError(name)


__all__ = [
    "COMPLETION_RECORD",
    "LocalStore",
    "ObjectNotFound",
    "ObjectStore",
    "OutputSet",
    "S3Store",
    "UnsafeKey",
    "download_dir",
    "job_key",
    "job_prefix",
    "job_root",
    "open_store",
    "output_set",
    "safe_relpath",
    "upload_dir",
]
