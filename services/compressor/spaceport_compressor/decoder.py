"""Our SOG v2 reader: a `meta.json` folder or a `.sog` bundle (ours or splat-transform's) -> splats."""

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from spaceport_compressor.layout import PALETTE_ROW, decode_webp, unpack_texels
from spaceport_compressor.meta import SogMeta
from spaceport_compressor.quantize import decode_opacity, decode_positions, decode_quats
from spaceport_compressor.shn import decode_shn
from spaceport_compressor.splats import SplatCloud

Reader = Callable[[str], bytes]


class SogFormatError(ValueError):
    """A SOG this reader cannot decode."""


def _member_reader(members: dict[str, bytes], where: str) -> tuple[Reader, bytes]:
    """A reader over in-memory members, and the meta.json bytes."""
    if "meta.json" not in members:
        raise SogFormatError(f"{where} has no meta.json")

    def read_member(name: str) -> bytes:
        if name not in members:
            raise SogFormatError(f"{where} lacks {name}")
        return members[name]

    return read_member, members["meta.json"]


def _reader(path: Path) -> tuple[Reader, bytes]:
    """A function reading a member by name, and the meta.json bytes."""
    if path.is_dir():
        path = path / "meta.json"
    if path.suffix == ".sog" or zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as bundle:
                members = {name: bundle.read(name) for name in bundle.namelist()}
        except zipfile.BadZipFile as exc:
            raise SogFormatError(f"{path} is not a readable zip: {exc}") from exc
        return _member_reader(members, str(path))
    folder = path.parent

    def read_file(name: str) -> bytes:
        member = folder / name
        if not member.is_file():
            raise SogFormatError(f"{folder} lacks {name}")
        return member.read_bytes()

    return read_file, path.read_bytes()


def read_meta(raw: bytes) -> SogMeta:
    """A v2 meta.json, or `SogFormatError` (v1 and unknown versions are refused)."""
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SogFormatError(f"meta.json is not JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("version") != 2:
        version = doc.get("version") if isinstance(doc, dict) else None
        raise SogFormatError(f"only SOG version 2 is supported, got version {version!r}")
    try:
        return SogMeta.model_validate(doc)
    except ValidationError as exc:
        raise SogFormatError(f"invalid meta.json: {exc}") from exc


def read_sog(path: Path) -> SplatCloud:
    """Decode a SOG given as a `.sog` file, a `meta.json` file or the folder holding it."""
    read, raw_meta = _reader(path)
    return decode_sog(read, raw_meta)


def decode_files(files: list[tuple[str, bytes]]) -> SplatCloud:
    """Decode a SOG held in memory as (name, bytes) pairs."""
    return decode_sog(*_member_reader(dict(files), "the SOG files"))


def decode_sog(read: Reader, raw_meta: bytes) -> SplatCloud:
    """Decode the images `read` returns by name, as `raw_meta` describes them."""
    meta = read_meta(raw_meta)
    n = meta.count

    def texels(name: str) -> np.ndarray:
        return unpack_texels(decode_webp(read(name)), n)

    low, high = texels(meta.means.files[0]), texels(meta.means.files[1])
    q = low[:, :3].astype(np.int64) | (high[:, :3].astype(np.int64) << 8)
    quats = texels(meta.quats.files[0])
    scales = texels(meta.scales.files[0])
    sh0 = texels(meta.sh0.files[0])
    scale_book = np.asarray(meta.scales.codebook, dtype=np.float32)
    colour_book = np.asarray(meta.sh0.codebook, dtype=np.float32)
    sh_rest = np.zeros((n, 0), dtype=np.float32)
    if meta.shN is not None:
        atlas = decode_webp(read(meta.shN.files[0]))
        coeffs = atlas.shape[1] // PALETTE_ROW
        sh_rest = decode_shn(meta.shN, atlas, texels(meta.shN.files[1]), coeffs)
    return SplatCloud(
        means=decode_positions(meta.means.mins, meta.means.maxs, q),
        quats=decode_quats(quats[:, :3], quats[:, 3]),
        log_scales=scale_book[scales[:, :3]],
        f_dc=colour_book[sh0[:, :3]],
        opacity=decode_opacity(sh0[:, 3]),
        sh_rest=sh_rest,
    )
