"""Other formats of a model than the SOG: SPZ and glTF written beside it, and any of them read back.

The compressor writes `scene.spz` / `scene.glb` when the job asks (`compressor.formats`); `spaceport export`
converts one model file into another with the same functions.
"""

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

from spaceport.params.compressor import CompressParams, ExtraFormat
from spaceport_compressor.compression import compress
from spaceport_compressor.gltf import encode_glb, read_glb
from spaceport_compressor.ply import read_ply, write_ply
from spaceport_compressor.sink import ZipSink
from spaceport_compressor.splats import InvalidSplats, SplatCloud
from spaceport_compressor.spz import SpzAxes, encode_spz, read_spz

WRITERS: dict[ExtraFormat, Callable[[SplatCloud], bytes]] = {"spz": encode_spz, "glb": encode_glb}
READABLE = (".ply", ".spz", ".glb")


def write_atomically(target: Path, data: bytes) -> int:
    """Write `data` to a hidden sibling, then rename it onto `target`: no reader sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would keep a web server from serving it
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(data)


def read_model(path: Path, spz_axes: SpzAxes = "rub") -> SplatCloud:
    """The splats of a `.ply`, `.spz` or `.glb` (in `.ply` axes); bad input raises `InvalidSplats`."""
    suffix = path.suffix.lower()
    if suffix == ".ply":
        return read_ply(path).splats
    if suffix == ".spz":
        return read_spz(path.read_bytes(), axes=spz_axes)[1]
    if suffix == ".glb":
        return read_glb(path.read_bytes())
    raise InvalidSplats(f"{path.name}: not a model file this reads ({', '.join(READABLE)})", "unsupported_input")


def write_exports(ply: Path, formats: Iterable[ExtraFormat], folder: Path, sh_bands: int = 3) -> list[Path]:
    """Write `folder/scene.<format>` for each format from a trained `.ply` (at most `sh_bands` SH bands)."""
    formats = tuple(formats)
    if not formats:
        return []
    splats = read_ply(ply).splats.with_sh_bands(sh_bands)
    written = []
    for name in formats:
        target = folder / f"scene.{name}"
        write_atomically(target, WRITERS[name](splats))
        written.append(target)
    return written


def convert_model(
    source: Path,
    fmt: ExtraFormat | Literal["sog", "ply"],
    target: Path,
    spz_version: int = 3,
    spz_axes: SpzAxes = "rub",
) -> int:
    """Write the model at `source` (`.ply`, `.spz`, `.glb`) as `fmt` at `target`, whole or not at all; its size.

    `spz_version` and `spz_axes` say how an SPZ is written, and `spz_axes` how an SPZ input is read."""
    if target.resolve() == source.resolve():
        raise InvalidSplats(f"{target} is the input itself; name another output", "same_file")
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "sog":
        with tempfile.TemporaryDirectory(prefix=".export-", dir=target.parent) as work:
            ply = source
            if source.suffix.lower() != ".ply":
                ply = Path(work) / "model.ply"
                write_ply(ply, read_model(source, spz_axes))
            compress(ply, ZipSink(target), CompressParams())
        return target.stat().st_size
    splats = read_model(source, spz_axes)
    if fmt == "ply":
        with tempfile.TemporaryDirectory(prefix=".export-", dir=target.parent) as work:
            write_ply(Path(work) / "model.ply", splats)
            os.replace(Path(work) / "model.ply", target)
        return target.stat().st_size
    data = encode_spz(splats, version=spz_version, axes=spz_axes) if fmt == "spz" else WRITERS[fmt](splats)
    return write_atomically(target, data)
