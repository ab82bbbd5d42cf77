"""Folder upload/download and commit-or-abort output sets on top of any `ObjectStore`."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from spaceport.storage.keys import COMPLETION_RECORD, safe_relpath
from spaceport.storage.protocol import ObjectStore


def upload_dir(store: ObjectStore, folder: Path, prefix: str) -> list[str]:
    """Upload every file under `folder` to `prefix` (which ends in `/`); returns the keys, sorted."""
    keys = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        key = prefix + safe_relpath(path.relative_to(folder).as_posix())
        store.put_file(key, path)
        keys.append(key)
    return keys


def download_dir(store: ObjectStore, prefix: str, folder: Path) -> list[Path]:
    """Download every object under `prefix` into `folder`, keeping relative paths; returns the paths."""
    paths = []
    for key in store.list_keys(prefix):
        relative = safe_relpath(key[len(prefix) :])
        if relative == COMPLETION_RECORD:
            continue
        target = folder / relative
        store.get_file(key, target)
        paths.append(target)
    return paths


class OutputSet:
    """The objects one stage writes for one job. On abort, everything written so far is deleted."""

    def __init__(self, store: ObjectStore, prefix: str) -> None:
        self.store = store
        self.prefix = prefix
        self.keys: list[str] = []

    def put_file(self, name: str, path: Path) -> str:
        """Upload one file as `prefix/name`; returns its URI."""
        key = self.prefix + safe_relpath(name)
        self.store.put_file(key, path)
        self.keys.append(key)
        return self.store.uri(key)

    def put_bytes(self, name: str, data: bytes) -> str:
        """Write bytes as `prefix/name`; returns its URI."""
        key = self.prefix + safe_relpath(name)
        self.store.put_bytes(key, data)
        self.keys.append(key)
        return self.store.uri(key)

    def put_dir(self, name: str, folder: Path) -> str:
        """Upload a folder as `prefix/name/`; returns the folder's URI."""
        sub = self.prefix + safe_relpath(name) + "/"
        self.keys.extend(upload_dir(self.store, folder, sub))
        return self.store.uri(sub)

    def abort(self) -> None:
        """Delete what this set wrote."""
        self.store.delete(self.keys)
        self.keys.clear()


@contextmanager
def output_set(store: ObjectStore, prefix: str) -> Iterator[OutputSet]:
    """Write a stage's outputs; if the block raises, none of them is left behind."""
    outputs = OutputSet(store, prefix)
    try:
        yield outputs
    except BaseException:
        outputs.abort()
        raise
