"""The local-folder object store keeps the storage contract, writes atomically and stays in its root."""

from pathlib import Path
from typing import BinaryIO

import pytest

from spaceport.storage import LocalStore, UnsafeKey, job_prefix, open_store, safe_relpath
from tests.unit.kernel import storage_contract as contract

pytestmark = pytest.mark.unit


def test_bytes_round_trip(local_store: LocalStore) -> None:
    """Bytes round-trip; missing keys raise ObjectNotFound."""
    contract.check_bytes_round_trip(local_store)


def test_files_and_listing(local_store: LocalStore, tmp_path: Path) -> None:
    """Files round-trip; listing is per prefix and sorted."""
    contract.check_files_and_listing(local_store, tmp_path)


def test_directories(local_store: LocalStore, tmp_path: Path) -> None:
    """Folders upload and download with their relative paths."""
    contract.check_directories(local_store, tmp_path)


def test_output_set_aborts(local_store: LocalStore, tmp_path: Path) -> None:
    """A failed output set leaves nothing behind."""
    contract.check_output_set_aborts(local_store, tmp_path)


def test_uris(local_store: LocalStore) -> None:
    """URIs round-trip and escaping keys are refused."""
    contract.check_uris(local_store)


def test_failed_write_leaves_no_partial_object(local_store: LocalStore) -> None:
    """A write that fails midway keeps the old object and leaves no temporary file behind."""
    local_store.put_bytes("jobs/j/sfm/a", b"old")

    def half_then_fail(handle: BinaryIO) -> None:
        handle.write(b"new but incomplete")
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        local_store._write_atomically("jobs/j/sfm/a", half_then_fail)
    assert local_store.get_bytes("jobs/j/sfm/a") == b"old"
    assert [p.name for p in (local_store.root / "jobs/j/sfm").iterdir()] == ["a"]


@pytest.mark.parametrize("name", ["../x", "a/../../b", "/etc/passwd", "a\\b", "", "dir/", "a//b"])
def test_unsafe_relative_names_are_refused(name: str) -> None:
    """Names that are absolute, climb with `..`, or are empty cannot become keys."""
    with pytest.raises(UnsafeKey):
        safe_relpath(name)


def test_job_prefix_requires_a_known_stage_and_valid_job() -> None:
    """Stage prefixes are `jobs/{job_id}/{stage}/` for known stages and valid job ids only."""
    assert job_prefix("job-1", "trainer") == "jobs/job-1/trainer/"
    with pytest.raises(ValueError):
        job_prefix("../job", "trainer")
    with pytest.raises(UnsafeKey):
        job_prefix("job-1", "secrets")


def test_open_store_picks_the_adapter_from_the_url(tmp_path: Path) -> None:
    """`file://` and plain paths give a local store; unknown schemes are refused."""
    assert isinstance(open_store(f"file://{tmp_path}"), LocalStore)
    assert isinstance(open_store(str(tmp_path)), LocalStore)
    with pytest.raises(ValueError, match="unsupported"):
        open_store("ftp://host/x")
