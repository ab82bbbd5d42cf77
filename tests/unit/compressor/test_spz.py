"""SPZ 2 and 3: our writer's bytes, our reader's round trip within SPZ's quantisation, and bad files."""

import gzip
import struct

import numpy as np
import pytest

from spaceport_compressor.splats import InvalidSplats, SplatCloud
from spaceport_compressor.spz import encode_spz, read_spz
from spaceport_compressor.synthetic import synthetic_splats
from tests.unit.compressor.splat_views import SIGMOID_STEP, assert_within_spz_steps, sigmoid

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("version", [2, 3])
@pytest.mark.parametrize("bands", [0, 1, 3])
def test_round_trip_within_quantisation(version: int, bands: int) -> None:
    """write -> read gives every attribute back within SPZ's steps, for v2 and v3 and SH degrees 0-3."""
    splats = synthetic_splats(3000, bands, seed=11)
    header, decoded = read_spz(encode_spz(splats, version=version))
    assert (header.version, header.count, header.sh_degree, header.fractional_bits) == (version, 3000, bands, 12)
    assert_within_spz_steps(splats, decoded, version)


def test_bytes_follow_the_layout() -> None:
    """A gzip stream of the 16-byte header, then 24-bit positions in RUB (y and z negated), alphas, colours..."""
    splats = synthetic_splats(100, 1, seed=12)
    raw = gzip.decompress(encode_spz(splats, version=3))
    assert struct.unpack_from("<IIIBBBB", raw) == (0x5053474E, 3, 100, 1, 12, 0, 0)
    assert len(raw) == 16 + 100 * (9 + 1 + 3 + 3 + 4 + 9)
    first = raw[16:25]
    xyz = [int.from_bytes(first[i : i + 3], "little", signed=True) / 4096 for i in (0, 3, 6)]
    assert np.allclose(xyz, splats.means[0] * np.array([1, -1, -1]), atol=0.5 / 4096 + 1e-6)
    alpha = raw[16 + 900]
    assert abs(alpha / 255 - sigmoid(splats.opacity[:1])[0]) <= SIGMOID_STEP + 1e-6


def test_same_input_gives_the_same_bytes() -> None:
    """The file is deterministic (gzip without a timestamp)."""
    splats = synthetic_splats(500, 2, seed=13)
    assert encode_spz(splats) == encode_spz(splats)


def test_far_positions_use_fewer_fractional_bits() -> None:
    """A scene wider than 2048 units keeps every position by giving up fractional bits."""
    splats = synthetic_splats(300, 0, seed=14)
    far = SplatCloud(splats.means * 500, splats.quats, splats.log_scales, splats.f_dc, splats.opacity, splats.sh_rest)
    header, decoded = read_spz(encode_spz(far))
    assert header.fractional_bits < 12
    assert np.abs(decoded.means - far.means).max() <= 0.5 / (1 << header.fractional_bits) + 1e-3


def test_positions_beyond_24_bits_are_refused() -> None:
    """A position past 2^23 units cannot be stored: a clear error, not a wrapped coordinate."""
    splats = synthetic_splats(10, 0, seed=15)
    means = splats.means.copy()
    means[3] = (1e8, 0, 0)
    bad = SplatCloud(means, splats.quats, splats.log_scales, splats.f_dc, splats.opacity, splats.sh_rest)
    with pytest.raises(InvalidSplats) as caught:
        encode_spz(bad)
    assert caught.value.reason == "spz_range"


def _with_header(raw: bytes, **fields: int) -> bytes:
    names = ("magic", "version", "count", "degree", "bits", "flags", "reserved")
    values = dict(zip(names, struct.unpack_from("<IIIBBBB", raw), strict=True)) | fields
    return gzip.compress(struct.pack("<IIIBBBB", *values.values()) + raw[16:])


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"magic": 0x12345678}, "invalid_spz"),
        ({"version": 4}, "unsupported_spz"),
        ({"version": 1}, "unsupported_spz"),
        ({"flags": 2}, "unsupported_spz"),
        ({"degree": 4}, "unsupported_spz"),
        ({"count": 0}, "no_splats"),
        ({"count": 101}, "truncated_spz"),
    ],
)
def test_bad_headers_are_named(change: dict[str, int], reason: str) -> None:
    """A wrong magic, an unsupported version, flag or degree, or a count past the data raise with a reason."""
    raw = gzip.decompress(encode_spz(synthetic_splats(100, 1, seed=16)))
    with pytest.raises(InvalidSplats) as caught:
        read_spz(_with_header(raw, **change))
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    "data", [b"", b"not gzip at all", gzip.compress(b"NGSP", mtime=0)], ids=["empty", "not-gzip", "short-gzip"]
)
def test_non_spz_bytes_are_refused(data: bytes) -> None:
    """Empty, non-gzip and too-short data raise InvalidSplats, not a crash."""
    with pytest.raises(InvalidSplats):
        read_spz(data)


def test_writer_refuses_other_versions() -> None:
    """Only versions 2 and 3 are written."""
    with pytest.raises(ValueError, match="version 4"):
        encode_spz(synthetic_splats(10, 0, seed=17), version=4)
