"""The object-store port: what every stage may do with artifacts."""

from pathlib import Path
from typing import Protocol


class ObjectNotFound(KeyError):
    """No object under that key."""


class ObjectStore(Protocol):
    """Flat keys to bytes. Every write is atomic: a reader sees the old object, the new one, or none."""

    def uri(self, key: str) -> str:
        """The URI naming `key` in this store (a prefix URI when `key` ends in `/`)."""
        ...

    def key_of(self, uri: str) -> str:
        """The key named by a URI of this store; `ValueError` for a URI of another store."""
        ...

    def put_bytes(self, key: str, data: bytes) -> None:
        """Write `data` under `key`."""
        ...

    def get_bytes(self, key: str) -> bytes:
        """The bytes under `key`, or `ObjectNotFound`."""
        ...

    def put_file(self, key: str, path: Path) -> None:
        """Upload a local file (multipart where the store needs it)."""
        ...

    def get_file(self, key: str, path: Path) -> None:
        """Download `key` into a local file, atomically."""
        ...

    def exists(self, key: str) -> bool:
        """Whether an object is under `key`."""
        ...

    def size(self, key: str) -> int:
        """The size in bytes of the object under `key`, or `ObjectNotFound`."""
        ...

    def list_keys(self, prefix: str) -> list[str]:
        """Every key under `prefix`, sorted."""
        ...

    def delete(self, keys: list[str]) -> None:
        """Delete these keys; missing ones are ignored."""
        ...
