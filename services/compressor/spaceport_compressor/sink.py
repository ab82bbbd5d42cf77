"""Where a SOG is written: a folder or a `.sog` zip, each committed whole or not at all."""

import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Protocol

from spaceport.storage import safe_relpath

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
"""Fixed entry timestamps: the same input gives the same bytes."""


class SogSink(Protocol):
    """Receives named files in order; nothing is visible at the destination before `commit`."""

    def write(self, name: str, data: bytes) -> None:
        """Add one file."""
        ...

    def commit(self) -> None:
        """Make everything written visible at once."""
        ...

    def abort(self) -> None:
        """Discard everything written."""
        ...


class FolderSink:
    """Files into a hidden sibling folder, renamed onto `target` on commit (an older `target` is replaced)."""

    def __init__(self, target: Path) -> None:
        self.target = target
        target.parent.mkdir(parents=True, exist_ok=True)
        self._staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
        self.written: list[str] = []

    def write(self, name: str, data: bytes) -> None:
        path = self._staging / safe_relpath(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.written.append(name)

    def commit(self) -> None:
        old = None
        if self.target.exists():
            old = self.target.with_name(f".{self.target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(self.target, old)
        os.replace(self._staging, self.target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def abort(self) -> None:
        shutil.rmtree(self._staging, ignore_errors=True)


class ZipSink:
    """A stored (uncompressed) zip without comment, in write order, renamed onto `target` on commit."""

    def __init__(self, target: Path) -> None:
        self.target = target
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        os.close(fd)
        self._tmp = Path(tmp)
        self._zip = zipfile.ZipFile(self._tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=False)
        self.written: list[str] = []

    def write(self, name: str, data: bytes) -> None:
        info = zipfile.ZipInfo(safe_relpath(name), date_time=ZIP_EPOCH)
        info.external_attr = 0o644 << 16
        self._zip.writestr(info, data, compress_type=zipfile.ZIP_STORED)
        self.written.append(name)

    def commit(self) -> None:
        self._zip.close()
        os.chmod(self._tmp, 0o644)  # mkstemp's 0600 would keep a web server from serving the bundle
        os.replace(self._tmp, self.target)

    def abort(self) -> None:
        self._zip.close()
        self._tmp.unlink(missing_ok=True)


class TeeSink:
    """Writes to several sinks; commits all of them, or aborts all of them."""

    def __init__(self, *sinks: SogSink) -> None:
        self.sinks = sinks

    def write(self, name: str, data: bytes) -> None:
        for sink in self.sinks:
            sink.write(name, data)

    def commit(self) -> None:
        for sink in self.sinks:
            sink.commit()

    def abort(self) -> None:
        for sink in self.sinks:
            sink.abort()
