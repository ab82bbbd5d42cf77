"""The object-store contract, run against every adapter (local folder here, S3 in integration)."""

import os
from pathlib import Path

import pytest

from spaceport.storage import (
    ObjectNotFound,
    ObjectStore,
    UnsafeKey,
    download_dir,
    job_key,
    output_set,
    upload_dir,
)


def check_bytes_round_trip(store: ObjectStore) -> None:
    """Bytes written under a key read back the same; missing keys raise ObjectNotFound."""
    store.put_bytes("jobs/j/sfm/a.json", b'{"a": 1}')
    assert store.get_bytes("jobs/j/sfm/a.json") == b'{"a": 1}'
    assert store.exists("jobs/j/sfm/a.json") and store.size("jobs/j/sfm/a.json") == 8
    assert not store.exists("jobs/j/sfm/missing")
    with pytest.raises(ObjectNotFound):
        store.get_bytes("jobs/j/sfm/missing")


def check_files_and_listing(store: ObjectStore, tmp_path: Path) -> None:
    """Files upload and download intact; listing returns the keys under a prefix, sorted."""
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    store.put_file("jobs/j/trainer/model.ply", source)
    store.put_bytes("jobs/j/trainer/report.json", b"{}")
    store.put_bytes("jobs/j2/trainer/report.json", b"{}")
    store.get_file("jobs/j/trainer/model.ply", tmp_path / "out" / "model.ply")
    assert (tmp_path / "out" / "model.ply").read_bytes() == source.read_bytes()
    assert store.list_keys("jobs/j/trainer/") == ["jobs/j/trainer/model.ply", "jobs/j/trainer/report.json"]
    store.delete(["jobs/j/trainer/report.json", "jobs/j/trainer/never"])
    assert store.list_keys("jobs/j/") == ["jobs/j/trainer/model.ply"]


def check_directories(store: ObjectStore, tmp_path: Path) -> None:
    """A folder tree uploads under a prefix and downloads back to the same relative paths."""
    tree = tmp_path / "tree"
    (tree / "sparse" / "0").mkdir(parents=True)
    (tree / "sparse" / "0" / "cameras.bin").write_bytes(b"cam")
    (tree / "report.json").write_bytes(b"{}")
    keys = upload_dir(store, tree, "jobs/j/sfm/")
    assert keys == ["jobs/j/sfm/report.json", "jobs/j/sfm/sparse/0/cameras.bin"]
    paths = download_dir(store, "jobs/j/sfm/sparse/", tmp_path / "back")
    assert paths == [tmp_path / "back" / "0" / "cameras.bin"] and paths[0].read_bytes() == b"cam"


def check_output_set_aborts(store: ObjectStore, tmp_path: Path) -> None:
    """Outputs written inside a block that raises are all removed; a block that succeeds keeps them."""
    with pytest.raises(RuntimeError), output_set(store, "jobs/j/compressor/") as out:
        out.put_bytes("meta.json", b"{}")
        out.put_bytes("means_l.webp", b"x")
        raise RuntimeError("encoder failed")
    assert store.list_keys("jobs/j/compressor/") == []
    with output_set(store, "jobs/j/compressor/") as out:
        uri = out.put_bytes("meta.json", b"{}")
    assert store.key_of(uri) == "jobs/j/compressor/meta.json"


def check_uris(store: ObjectStore) -> None:
    """URIs round-trip to keys (prefix URIs keep their slash); keys that escape are refused."""
    for key in ("jobs/j/images/", "jobs/j/images/a b.jpg", job_key("j", "sfm", "sparse/0/points3D.bin")):
        assert store.key_of(store.uri(key)) == key
    with pytest.raises(ValueError):
        store.key_of("s3://elsewhere/jobs/j/x")
    for bad in ("../x", "jobs/../../etc/passwd", "/abs", "jobs//x"):
        with pytest.raises(UnsafeKey):
            store.put_bytes(bad, b"x")
