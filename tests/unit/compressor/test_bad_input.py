"""Bad PLY input: each defect gets a clear reason code instead of a crash; NaN/Inf rows are dropped and counted."""

from pathlib import Path

import numpy as np
import pytest

from spaceport_compressor.compression import compress
from spaceport_compressor.ply import read_ply, write_ply
from spaceport_compressor.sink import FolderSink, TeeSink, ZipSink
from spaceport_compressor.splats import InvalidSplats, SplatCloud

pytestmark = pytest.mark.unit
HEADER = "ply\nformat binary_little_endian 1.0\nelement vertex {n}\n{props}end_header\n"
BASE = [
    "x",
    "y",
    "z",
    "f_dc_0",
    "f_dc_1",
    "f_dc_2",
    "opacity",
    "scale_0",
    "scale_1",
    "scale_2",
    "rot_0",
    "rot_1",
    "rot_2",
    "rot_3",
]


def _raw_ply(path: Path, names: list[str], rows: int, body_rows: int | None = None) -> Path:
    """A float PLY with these properties and `body_rows` rows of data (default: all of them)."""
    props = "".join(f"property float {name}\n" for name in names)
    body = np.random.default_rng(0).normal(size=(body_rows if body_rows is not None else rows, len(names)))
    path.write_bytes(HEADER.format(n=rows, props=props).encode() + body.astype("<f4").tobytes())
    return path


def _reason(path: Path) -> str:
    with pytest.raises(InvalidSplats) as caught:
        read_ply(path)
    assert caught.value.message
    return caught.value.reason


def test_truncated_body_is_reported(ply_sh3: Path, tmp_path: Path) -> None:
    """A PLY cut short says how many splats its body holds."""
    cut = tmp_path / "cut.ply"
    cut.write_bytes(ply_sh3.read_bytes()[:-1000])
    with pytest.raises(InvalidSplats, match=r"holds 2995 of 3000 splats") as caught:
        read_ply(cut)
    assert caught.value.reason == "truncated_ply"


def test_zero_splats_is_reported(tmp_path: Path) -> None:
    """A PLY with an empty vertex element is refused as `no_splats`."""
    assert _reason(_raw_ply(tmp_path / "empty.ply", BASE, 0)) == "no_splats"


def test_missing_properties_are_named(tmp_path: Path) -> None:
    """A PLY without opacity and rot_3 names both."""
    names = [n for n in BASE if n not in ("opacity", "rot_3")]
    with pytest.raises(InvalidSplats, match="opacity, rot_3") as caught:
        read_ply(_raw_ply(tmp_path / "missing.ply", names, 10))
    assert caught.value.reason == "missing_properties"


@pytest.mark.parametrize("rest", [8, 10, 44])
def test_wrong_sh_layout_is_refused(tmp_path: Path, rest: int) -> None:
    """f_rest counts other than 0, 9, 24 or 45 (or with gaps) are an `sh_layout` error."""
    names = BASE + [f"f_rest_{i}" for i in range(rest)]
    assert _reason(_raw_ply(tmp_path / "sh.ply", names, 10)) == "sh_layout"
    gappy = BASE + [f"f_rest_{i}" for i in range(10) if i != 4]
    assert _reason(_raw_ply(tmp_path / "gap.ply", gappy, 10)) == "sh_layout"


def test_not_a_ply_is_refused(tmp_path: Path) -> None:
    """Random bytes, a PLY without vertices, and list properties are `invalid_ply`."""
    junk = tmp_path / "junk.ply"
    junk.write_bytes(b"\x89PNG not a ply at all")
    assert _reason(junk) == "invalid_ply"
    faces = tmp_path / "faces.ply"
    faces.write_bytes(b"ply\nformat binary_little_endian 1.0\nelement face 1\nproperty float a\nend_header\n\0\0\0\0")
    assert _reason(faces) == "invalid_ply"
    lists = tmp_path / "lists.ply"
    lists.write_bytes(b"ply\nformat ascii 1.0\nelement vertex 1\nproperty list uchar int idx\nend_header\n1 1\n")
    assert _reason(lists) == "invalid_ply"


def test_nan_and_inf_rows_are_dropped_and_counted(scene_sh0: SplatCloud, tmp_path: Path) -> None:
    """Rows with NaN or Inf anywhere (or a zero rotation) are dropped; the count is reported with the invisible."""
    means, scales, quats = scene_sh0.means.copy(), scene_sh0.log_scales.copy(), scene_sh0.quats.copy()
    means[[3, 10], 1] = np.nan
    scales[20, 2] = -np.inf
    quats[30] = 0.0
    broken = SplatCloud(means, quats, scales, scene_sh0.f_dc, scene_sh0.opacity, scene_sh0.sh_rest)
    path = tmp_path / "nan.ply"
    write_ply(path, broken)
    loaded = read_ply(path)
    assert (loaded.rows, loaded.dropped, loaded.splats.count) == (2000, 4, 1996)
    report = compress(path, FolderSink(tmp_path / "sog"))
    assert report.faint_splats == 1 and report.metrics.splats == 1995  # scene_sh0 holds one invisible splat
    assert report.metrics.dropped_splats == 4 + 1
    assert report.input_rows == 2000


def test_all_rows_invalid_is_no_splats(scene_sh0: SplatCloud, tmp_path: Path) -> None:
    """A model whose every row is non-finite is refused as `no_splats`."""
    nan = np.full_like(scene_sh0.opacity, np.nan)
    write_ply(
        tmp_path / "allnan.ply",
        SplatCloud(scene_sh0.means, scene_sh0.quats, scene_sh0.log_scales, scene_sh0.f_dc, nan, scene_sh0.sh_rest),
    )
    assert _reason(tmp_path / "allnan.ply") == "no_splats"


def test_ascii_and_big_endian_plys_are_read(scene_sh0: SplatCloud, ply_sh0: Path, tmp_path: Path) -> None:
    """ASCII and big-endian PLYs give the same splats as the little-endian file."""
    reference = read_ply(ply_sh0).splats
    header, _, body = ply_sh0.read_bytes().partition(b"end_header\n")
    table = np.frombuffer(body, dtype="<f4").reshape(2000, -1)
    big = tmp_path / "big.ply"
    big.write_bytes(
        header.replace(b"binary_little_endian", b"binary_big_endian") + b"end_header\n" + table.astype(">f4").tobytes()
    )
    ascii_ply = tmp_path / "ascii.ply"
    lines = "\n".join(" ".join(repr(float(v)) for v in row) for row in table[:50])
    ascii_ply.write_bytes(
        header.replace(b"binary_little_endian", b"ascii").replace(b"vertex 2000", b"vertex 50")
        + b"end_header\n"
        + lines.encode()
        + b"\n"
    )
    assert np.array_equal(read_ply(big).splats.means, reference.means)
    assert np.array_equal(read_ply(ascii_ply).splats.quats, reference.quats[:50])


def test_refused_input_leaves_no_partial_output(tmp_path: Path) -> None:
    """When compress refuses a PLY, the folder and bundle sinks leave nothing (not even staging files)."""
    out = tmp_path / "out"
    sink = TeeSink(FolderSink(out / "sog"), ZipSink(out / "scene.sog"))
    with pytest.raises(InvalidSplats):
        compress(_raw_ply(tmp_path / "empty.ply", BASE, 0), sink)
    assert list(out.iterdir()) == []
