"""A local folder as an object store (`file://`), for the embedded mode and unit tests."""

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote

from spaceport.storage.keys import UnsafeKey, safe_relpath
from spaceport.storage.protocol import ObjectNotFound


class LocalStore:
    """Keys are relative paths under `root`; writes go to a temporary file renamed into place."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / safe_relpath(key)

    def uri(self, key: str) -> str:
        if key.endswith("/"):
            return (self.root / safe_relpath(key.rstrip("/"))).as_uri() + "/"
        return self._path(key).as_uri()

    def key_of(self, uri: str) -> str:
        base = self.root.as_uri() + "/"
        if not uri.startswith(base):
            raise ValueError(f"{uri!r} is not in the local store at {self.root}")
        rest = unquote(uri[len(base) :])
        trailing = "/" if rest.endswith("/") else ""
        return safe_relpath(rest.rstrip("/")) + trailing

    def _write_atomically(self, key: str, write: Callable[[BinaryIO], object]) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as handle:
                write(handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put_bytes(self, key: str, data: bytes) -> None:
        self._write_atomically(key, lambda handle: handle.write(data))

    def put_file(self, key: str, path: Path) -> None:
        with path.open("rb") as source:
            self._write_atomically(key, lambda handle: shutil.copyfileobj(source, handle, 1 << 20))

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise ObjectNotFound(key) from exc

    def get_file(self, key: str, path: Path) -> None:
        source = self._path(key)
        if not source.is_file():
            raise ObjectNotFound(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.part")
        shutil.copyfile(source, tmp)
        os.replace(tmp, path)

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).is_file()
        except UnsafeKey:
            return False

    def size(self, key: str) -> int:
        path = self._path(key)
        if not path.is_file():
            raise ObjectNotFound(key)
        return path.stat().st_size

    def list_keys(self, prefix: str) -> list[str]:
        base = self.root / prefix.rstrip("/") if prefix.strip("/") else self.root
        if prefix and not prefix.endswith("/"):
            base = base.parent
        if not base.is_dir():
            return []
        keys = []
        for path in base.rglob("*"):
            if path.is_file() and not path.name.endswith(".part"):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        return sorted(keys)

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            self._path(key).unlink(missing_ok=True)
