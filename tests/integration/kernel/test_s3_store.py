"""The S3 adapter keeps the storage contract against a real S3-protocol server, multipart included."""

import os
from pathlib import Path

import pytest

from spaceport.storage import S3Store, open_store
from tests.unit.kernel import storage_contract as contract

pytestmark = pytest.mark.integration


def test_bytes_round_trip(s3_store: S3Store) -> None:
    """Bytes round-trip over S3; missing keys raise ObjectNotFound."""
    contract.check_bytes_round_trip(s3_store)


def test_files_and_listing(s3_store: S3Store, tmp_path: Path) -> None:
    """Files round-trip over S3; listing is per prefix and sorted."""
    contract.check_files_and_listing(s3_store, tmp_path)


def test_directories(s3_store: S3Store, tmp_path: Path) -> None:
    """Folders upload and download over S3 with their relative paths."""
    contract.check_directories(s3_store, tmp_path)


def test_output_set_aborts(s3_store: S3Store, tmp_path: Path) -> None:
    """A failed output set leaves nothing behind in the bucket."""
    contract.check_output_set_aborts(s3_store, tmp_path)


def test_uris(s3_store: S3Store) -> None:
    """S3 URIs round-trip and escaping keys are refused."""
    contract.check_uris(s3_store)
    assert s3_store.uri("jobs/j/images/") == f"s3://{s3_store.bucket}/spaceport/jobs/j/images/"


def test_big_files_upload_in_parts(s3_endpoint: str, tmp_path: Path) -> None:
    """A file over the multipart threshold is uploaded in several parts and reads back intact."""
    store = S3Store(
        "multipart",
        endpoint_url=s3_endpoint,
        access_key="testing",
        secret_key="testing",
        multipart_threshold=5 * 1024 * 1024,
    )
    store.ensure_bucket()
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(11 * 1024 * 1024 + 3))
    store.put_file("jobs/j/trainer/big.bin", source)
    head = store.client.head_object(Bucket="multipart", Key="jobs/j/trainer/big.bin")
    assert head["ETag"].strip('"').endswith("-3")
    store.get_file("jobs/j/trainer/big.bin", tmp_path / "back.bin")
    assert (tmp_path / "back.bin").read_bytes() == source.read_bytes()


def test_open_store_builds_an_s3_store_and_its_bucket(s3_endpoint: str) -> None:
    """`s3://bucket/prefix` with an endpoint gives an S3 store; the bucket is created on request."""
    store = open_store(
        "s3://made-by-url/pre",
        endpoint_url=s3_endpoint,
        access_key="testing",
        secret_key="testing",
        create_bucket=True,
    )
    store.put_bytes("k", b"v")
    assert store.uri("k") == "s3://made-by-url/pre/k" and store.get_bytes("k") == b"v"
