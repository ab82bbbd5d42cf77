"""Niantic's SPZ (versions 2 and 3): a gzip stream of a 16-byte header and per-attribute arrays.

Header (little-endian): magic 0x5053474E ("NGSP"), version, splat count (u32 each), SH degree,
fractional bits, flags (0x1 antialiased, 0x2 extensions follow), reserved (u8 each). Then, for all splats in
turn: positions (3 x 24-bit signed fixed point), alphas (sigmoid * 255), colours (f_dc * 0.15 * 255 + 127.5),
scales ((log + 10) * 16), rotations (v2: x, y, z of the unit quaternion with w >= 0, as q * 127.5 + 127.5;
v3: smallest three, 2-bit index of the largest and 3 x (sign + 9-bit magnitude / sqrt(1/2)) in a u32),
then higher-order SH (coefficient-major, colour channel inner, x * 128 + 128, 5 bits kept for band 1 and 4
for bands 2-3, as Niantic's writer does).

Axes: written in RUB as the SPZ specification says (our `.ply` is RDF, so y and z are negated, the
quaternion's y and z with them, and the odd SH coefficients under that turn; `frames.py`). Niantic's
library reads it back into any frame (`UnpackOptions.to`; RDF gives the `.ply`'s). Readers that decode the
bytes as they are (splat-transform 3.7, Babylon.js) get the RUB coordinates: upright in a Y-up viewer.
`axes="ply"` writes and reads the `.ply`'s axes unchanged instead, as splat-transform's writer and Niantic's
`ply_to_spz` (no `from` frame) do; the file itself does not say which.
"""

import gzip
import struct
import zlib
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from spaceport_compressor.frames import convert
from spaceport_compressor.splats import SH_COEFFS_PER_CHANNEL, InvalidSplats, SplatCloud

SpzAxes = Literal["rub", "ply"]
"""The specification's RUB, or the `.ply`'s axes unchanged (what some other writers store)."""
MAGIC = 0x5053474E
HEADER = struct.Struct("<IIIBBBB")
VERSIONS = (2, 3)
FLAG_ANTIALIASED = 0x1
FLAG_EXTENSIONS = 0x2
COLOR_SCALE = 0.15
MAX_FRACTIONAL_BITS = 12
"""Niantic's writer uses 12 (1/4096 of a unit); fewer only when a position would not fit in 24 bits."""
SH_BITS = (5, 4)
"""Bits kept of the 8-bit SH codes: band 1, bands 2-3 (Niantic's defaults)."""
SQRT1_2 = float(np.sqrt(0.5))
OTHERS = np.array([[1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2]])
"""The three quaternion components stored by smallest-three, per index of the largest."""


@dataclass(frozen=True)
class SpzHeader:
    """What an SPZ header says."""

    version: int
    count: int
    sh_degree: int
    fractional_bits: int
    antialiased: bool


def _u8(values: npt.NDArray[np.floating]) -> npt.NDArray[np.uint8]:
    """Round half up and clamp to a byte (std::round on the non-negative range, as Niantic's packer)."""
    return np.clip(np.floor(values + 0.5), 0, 255).astype(np.uint8)


def _fractional_bits(means: npt.NDArray[np.float32]) -> int:
    reach = float(np.abs(means).max()) if means.size else 0.0
    bits = MAX_FRACTIONAL_BITS
    while bits >= 0 and round(reach * (1 << bits)) > (1 << 23) - 1:
        bits -= 1
    if bits < 0:
        raise InvalidSplats(f"a position {reach:.3g} units from the origin does not fit SPZ's 24 bits", "spz_range")
    return bits


def _pack_quats(wxyz: npt.NDArray[np.float32], version: int) -> npt.NDArray[np.uint8]:
    q = wxyz[:, [1, 2, 3, 0]].astype(np.float64)  # xyzw, as SPZ orders it
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    if version == 2:
        q *= np.where(q[:, 3:] < 0, -1.0, 1.0)
        return _u8(q[:, :3] * 127.5 + 127.5)
    largest = np.abs(q).argmax(axis=1)
    rest = np.take_along_axis(q, OTHERS[largest], axis=1)  # [N, 3], in index order
    negative = (rest < 0) ^ (np.take_along_axis(q, largest[:, None], axis=1) < 0)
    magnitude = np.clip(np.floor(511.0 * np.abs(rest) / SQRT1_2 + 0.5), 0, 511).astype(np.uint32)
    packed = largest.astype(np.uint32)
    for j in range(3):
        packed = (packed << 10) | (negative[:, j].astype(np.uint32) << 9) | magnitude[:, j]
    return packed.astype("<u4").view(np.uint8).reshape(-1, 4)


def _unpack_quats(raw: npt.NDArray[np.uint8], version: int) -> npt.NDArray[np.float32]:
    if version == 2:
        xyz = raw.reshape(-1, 3).astype(np.float64) / 127.5 - 1.0
        w = np.sqrt(np.maximum(0.0, 1.0 - (xyz**2).sum(1)))
        return np.column_stack([w, xyz]).astype(np.float32)
    packed = raw.reshape(-1, 4).copy().view("<u4")[:, 0].astype(np.uint32)
    largest = (packed >> 30).astype(np.int64)
    rest = np.zeros((packed.size, 3))
    for j in (2, 1, 0):  # the last stored component sits in the lowest bits
        sign = np.where((packed >> 9) & 1, -1.0, 1.0)
        rest[:, j] = sign * SQRT1_2 * (packed & 511) / 511.0
        packed = packed >> np.uint32(10)
    q = np.zeros((rest.shape[0], 4))
    np.put_along_axis(q, OTHERS[largest], rest, axis=1)
    np.put_along_axis(q, largest[:, None], np.sqrt(np.maximum(0.0, 1.0 - (rest**2).sum(1)))[:, None], axis=1)
    return q[:, [3, 0, 1, 2]].astype(np.float32)


def _sh_codes(sh_rest: npt.NDArray[np.float32]) -> npt.NDArray[np.uint8]:
    n, coeffs = sh_rest.shape[0], sh_rest.shape[1] // 3
    scaled = sh_rest.reshape(n, 3, coeffs).transpose(0, 2, 1) * np.float32(128.0)  # [N, C, 3] channel inner
    code = np.trunc(scaled + np.copysign(np.float32(0.5), scaled)).clip(-200, 400).astype(np.int16) + 128
    for bits, band in zip(SH_BITS, (slice(0, 3), slice(3, None)), strict=True):
        bucket = 1 << (8 - bits)
        code[:, band] = (code[:, band] + bucket // 2) // bucket * bucket
    return np.clip(code, 0, 255).astype(np.uint8).reshape(n, 3 * coeffs)


def encode_spz(splats: SplatCloud, version: int = 3, antialiased: bool = False, axes: SpzAxes = "rub") -> bytes:
    """The splats (in `.ply` axes) as an SPZ file of `version` 2 or 3, stored in RUB axes (or as they are)."""
    if version not in VERSIONS:
        raise ValueError(f"SPZ version {version} is not written (2 or 3)")
    if splats.count == 0:
        raise InvalidSplats("no splats to write", "no_splats")
    rub = convert(splats, "RDF", "RUB") if axes == "rub" else splats
    bits = _fractional_bits(rub.means)
    fixed = rub.means.astype(np.float64) * (1 << bits)
    fixed_i = np.ascontiguousarray(np.trunc(fixed + np.copysign(0.5, fixed)), dtype="<i4")
    positions = fixed_i.view(np.uint8).reshape(-1, 3, 4)[:, :, :3]
    with np.errstate(over="ignore"):
        alphas = _u8(255.0 / (1.0 + np.exp(-rub.opacity.astype(np.float64))))
    colours = _u8(rub.f_dc.astype(np.float64) * (COLOR_SCALE * 255.0) + 127.5)
    scales = _u8((rub.log_scales.astype(np.float64) + 10.0) * 16.0)
    flags = FLAG_ANTIALIASED if antialiased else 0
    header = HEADER.pack(MAGIC, version, splats.count, splats.sh_bands, bits, flags, 0)
    parts = [positions, alphas, colours, scales, _pack_quats(rub.quats, version), _sh_codes(rub.sh_rest)]
    body = header + b"".join(np.ascontiguousarray(p).tobytes() for p in parts)
    return gzip.compress(body, compresslevel=6, mtime=0)


def _header(raw: bytes) -> SpzHeader:
    if len(raw) < HEADER.size:
        raise InvalidSplats(f"SPZ header is {len(raw)} of {HEADER.size} bytes", "truncated_spz")
    magic, version, count, degree, bits, flags, _ = HEADER.unpack_from(raw)
    if magic != MAGIC:
        raise InvalidSplats(f"not an SPZ file (magic {magic:#010x}, expected {MAGIC:#010x})", "invalid_spz")
    if version not in VERSIONS:
        raise InvalidSplats(f"SPZ version {version} is not supported (2 or 3)", "unsupported_spz")
    if flags & FLAG_EXTENSIONS:
        raise InvalidSplats("SPZ extensions (flag 0x2) are not supported", "unsupported_spz")
    if degree not in SH_COEFFS_PER_CHANNEL:
        raise InvalidSplats(f"SPZ SH degree {degree} is not supported (0-3)", "unsupported_spz")
    if count == 0:
        raise InvalidSplats("the SPZ holds zero splats", "no_splats")
    return SpzHeader(version, count, degree, bits, bool(flags & FLAG_ANTIALIASED))


def read_spz(data: bytes, axes: SpzAxes = "rub") -> tuple[SpzHeader, SplatCloud]:
    """Header and splats (in `.ply` axes) of an SPZ file stored in `axes`; bad input raises `InvalidSplats`."""
    try:
        raw = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise InvalidSplats(f"not a gzip stream, so not SPZ 2 or 3: {exc}", "invalid_spz") from exc
    head = _header(raw)
    n, coeffs = head.count, SH_COEFFS_PER_CHANNEL[head.sh_degree]
    sizes = (9, 1, 3, 3, 3 if head.version == 2 else 4, 3 * coeffs)
    need = HEADER.size + n * sum(sizes)
    if len(raw) < need:
        raise InvalidSplats(f"truncated SPZ: {len(raw)} of {need} bytes for {n} splats", "truncated_spz")
    arrays, offset = [], HEADER.size
    for size in sizes:
        arrays.append(np.frombuffer(raw, np.uint8, n * size, offset).reshape(n, size))
        offset += n * size
    positions, alphas, colours, scales, rotations, sh = arrays
    padded = np.zeros((n, 3, 4), np.uint8)
    padded[:, :, :3] = positions.reshape(n, 3, 3)
    padded[:, :, 3] = np.where(positions.reshape(n, 3, 3)[:, :, 2] & 0x80, 0xFF, 0)
    alpha = np.clip(alphas[:, 0].astype(np.float64) / 255.0, 1e-6, 1 - 1e-6)
    inner = (sh.reshape(n, coeffs, 3).astype(np.float32) - 128.0) / 128.0
    rub = SplatCloud(
        means=(padded.view("<i4")[:, :, 0].astype(np.float64) / (1 << head.fractional_bits)).astype(np.float32),
        quats=_unpack_quats(rotations, head.version),
        log_scales=(scales.astype(np.float32) / 16.0 - 10.0),
        f_dc=((colours.astype(np.float32) / 255.0 - 0.5) / COLOR_SCALE).astype(np.float32),
        opacity=np.log(alpha / (1.0 - alpha)).astype(np.float32),
        sh_rest=np.ascontiguousarray(inner.transpose(0, 2, 1).reshape(n, 3 * coeffs)),
    )
    return head, convert(rub, "RUB", "RDF") if axes == "rub" else rub
