"""The PlayCanvas engine the views serve: pinned as the lockfile pins it, checked, fetched once, and offline a
clear error naming the command that fixes it."""

import base64
import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from spaceport import engine
from tests.conftest import REPO

pytestmark = pytest.mark.unit


def test_the_pin_is_the_lockfiles() -> None:
    """VERSION and INTEGRITY are package-lock.json's playcanvas entry (they cannot drift apart)."""
    lock = json.loads((REPO / "package-lock.json").read_text())["packages"]["node_modules/playcanvas"]
    assert (engine.VERSION, engine.INTEGRITY) == (lock["version"], lock["integrity"])


def _tarball(files: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue())


def test_a_checked_tarball_is_unpacked_and_a_tampered_one_refused(tmp_path: Path) -> None:
    """The integrity check passes only the exact bytes; the engine and its licence are unpacked into the cache."""
    tarball = _tarball({"package/build/playcanvas.min.mjs": b"export const x = 1;", "package/LICENSE": b"MIT"})
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    assert engine.matches_integrity(tarball, integrity)
    assert not engine.matches_integrity(tarball + b"\0", integrity)
    path = engine.unpack(tarball, tmp_path / "cache")
    assert path.read_bytes() == b"export const x = 1;" and (tmp_path / "cache" / "LICENSE").read_bytes() == b"MIT"


def test_offline_without_an_engine_says_which_command_fixes_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No copy anywhere and the registry unreachable: EngineMissing naming `spaceport engine` and `npm ci`."""
    monkeypatch.setenv("SPACEPORT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(engine, "REGISTRY", "http://127.0.0.1:9")
    monkeypatch.setattr(engine, "REPO", tmp_path)  # a checkout without node_modules
    with pytest.raises(engine.EngineMissing, match=r"Run `spaceport engine` once .* or `npm ci`"):
        engine.engine_file()
