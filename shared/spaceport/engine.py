"""The PlayCanvas engine the 3D views load: a pinned npm package, found locally or fetched once and checked.

`spaceport view` and the monitor's dashboard serve the engine from this machine (no CDN at page load). It is
looked for in order: a `node_modules` copy (`npm ci` in the repository), the monitor's build-step copy, and
this user's cache (`$SPACEPORT_CACHE_DIR`, else `~/.cache/spaceport`). When none has it, the pinned tarball is
downloaded once from the npm registry, checked against the package-lock's sha512 integrity, and its engine
build unpacked into the cache, so a machine with neither node nor npm still gets it. Offline, `EngineMissing`
says which command fixes it. Standard library only: every service image can use it.
"""

import base64
import hashlib
import io
import os
import tarfile
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

VERSION = "2.23.3"
INTEGRITY = "sha512-hjDdo5yFtVr/WmDh59pRrT1LC+Rfpq4VXB8Xt3AMB8GfWXj9JzOMq3x+3FTmq/2L2gN37q9V1LMZaLuYshzMXQ=="
"""The package-lock's pin (a unit test keeps the two equal)."""
REGISTRY = os.environ.get("SPACEPORT_NPM_REGISTRY", "https://registry.npmjs.org")
BUILD_FILE = "playcanvas.min.mjs"
MEMBERS = {f"package/build/{BUILD_FILE}": BUILD_FILE, "package/LICENSE": "LICENSE"}
MAX_TARBALL_BYTES = 64 * 1024 * 1024
REPO = Path(__file__).resolve().parents[2]


class EngineMissing(RuntimeError):
    """The engine is nowhere on this machine and could not be fetched."""


def cache_dir() -> Path:
    """Where fetched engines are kept."""
    root = os.environ.get("SPACEPORT_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "spaceport")
    return Path(root) / f"playcanvas-{VERSION}"


def tarball_url() -> str:
    """The pinned package's tarball on the registry."""
    return f"{REGISTRY.rstrip('/')}/playcanvas/-/playcanvas-{VERSION}.tgz"


def local_candidates(extra: Iterable[Path] = ()) -> list[Path]:
    """Where an engine already on this machine may be, in order."""
    return [REPO / "node_modules" / "playcanvas" / "build" / BUILD_FILE, *extra, cache_dir() / BUILD_FILE]


def matches_integrity(data: bytes, integrity: str = INTEGRITY) -> bool:
    """Whether `data` has the npm integrity (`sha512-<base64 digest>`) of the pin."""
    algorithm, _, expected = integrity.partition("-")
    digest = hashlib.new(algorithm, data).digest()
    return base64.b64encode(digest).decode() == expected


def unpack(tarball: bytes, target: Path) -> Path:
    """Write the engine build and its licence from a checked tarball into `target`; returns the engine."""
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for member, name in MEMBERS.items():
            source = archive.extractfile(member)
            if source is None:
                raise EngineMissing(f"the playcanvas {VERSION} package has no {member}")
            partial = target / f"{name}.part"
            partial.write_bytes(source.read())
            partial.replace(target / name)
    return target / BUILD_FILE


def fetch(timeout_s: float = 60.0) -> Path:
    """Download the pinned engine, check its integrity, unpack it into the cache; returns the engine."""
    url = tarball_url()
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            data = response.read(MAX_TARBALL_BYTES + 1)
    except (urllib.error.URLError, OSError) as exc:
        raise EngineMissing(
            f"the PlayCanvas engine {VERSION} is not on this machine and {url} could not be reached ({exc}). "
            "Run `spaceport engine` once on a machine with internet access (it fills "
            f"{cache_dir()}), or `npm ci` in the repository."
        ) from exc
    if len(data) > MAX_TARBALL_BYTES or not matches_integrity(data):
        raise EngineMissing(f"{url} does not match the pinned integrity {INTEGRITY[:24]}...: not used")
    engine = unpack(data, cache_dir())
    log.info("engine_fetched", version=VERSION, path=str(engine), bytes=len(data))
    return engine


def engine_file(extra: Iterable[Path] = (), download: bool = True) -> Path:
    """The engine build to serve: the first local copy, else a fetched one (`EngineMissing` if neither)."""
    for candidate in local_candidates(extra):
        if candidate.is_file():
            return candidate
    if not download:
        raise EngineMissing(f"the PlayCanvas engine {VERSION} is not on this machine: run `spaceport engine`")
    return fetch()
