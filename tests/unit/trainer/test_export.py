"""Export: the standard 3DGS .ply layout, exact round trips, per-row NaN cleaning, world mapping."""

from pathlib import Path

import numpy as np
import pytest
import torch
from plyfile import PlyData

from spaceport_splats.export import SplatArrays, property_names, read_ply, to_world, write_ply
from spaceport_splats.normalize import SceneTransform

pytestmark = pytest.mark.unit


def _arrays(n: int, rest: int, seed: int = 0) -> SplatArrays:
    rng = np.random.default_rng(seed)

    def f(*shape: int) -> np.ndarray:
        return rng.normal(size=shape).astype(np.float32)

    return SplatArrays(means=f(n, 3), sh0=f(n, 1, 3), shN=f(n, rest, 3), opacities=f(n), scales=f(n, 3), quats=f(n, 4))


def test_export_reload_round_trips_exactly(tmp_path: Path) -> None:
    """Every value written (degree-3 SH) is read back bit for bit, in the same order."""
    arrays = _arrays(500, 15)
    written, dropped = write_ply(tmp_path / "m.ply", arrays)
    back = read_ply(tmp_path / "m.ply")
    assert (written, dropped) == (500, 0)
    for name in ("means", "sh0", "shN", "opacities", "scales", "quats"):
        assert np.array_equal(getattr(back, name), getattr(arrays, name)), name


def test_ply_has_the_standard_3dgs_properties(tmp_path: Path) -> None:
    """Binary little-endian, x y z nx ny nz f_dc_0..2 f_rest_0..44 opacity scale_0..2 rot_0..3, float32."""
    write_ply(tmp_path / "m.ply", _arrays(10, 15))
    ply = PlyData.read(str(tmp_path / "m.ply"))
    props = [p.name for p in ply["vertex"].properties]
    assert props[:9] == ["x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2"]
    assert props[9:54] == [f"f_rest_{i}" for i in range(45)]
    assert props[54:] == ["opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"]
    assert props == property_names(15)
    assert not ply.text and ply.byte_order == "<"
    assert all(p.val_dtype in ("f4", "float32") for p in ply["vertex"].properties)


def test_f_rest_is_channel_major(tmp_path: Path) -> None:
    """f_rest_i holds channel i // K of band i % K, as Inria's exporter writes it."""
    arrays = _arrays(3, 15)
    write_ply(tmp_path / "m.ply", arrays)
    vertex = PlyData.read(str(tmp_path / "m.ply"))["vertex"]
    assert vertex["f_rest_0"][1] == arrays.shN[1, 0, 0]
    assert vertex["f_rest_15"][1] == arrays.shN[1, 0, 1]
    assert vertex["f_rest_16"][1] == arrays.shN[1, 1, 1]


def test_non_finite_rows_are_dropped_one_by_one(tmp_path: Path) -> None:
    """A NaN opacity and an Inf scale remove only their own rows (gsplat 1.5.3 dropped all of them)."""
    arrays = _arrays(20, 3)
    arrays.opacities[4] = np.nan
    arrays.scales[7, 1] = np.inf
    written, dropped = write_ply(tmp_path / "m.ply", arrays)
    back = read_ply(tmp_path / "m.ply")
    assert (written, dropped) == (18, 2)
    keep = np.ones(20, dtype=bool)
    keep[[4, 7]] = False
    assert np.array_equal(back.means, arrays.means[keep])


def test_export_maps_positions_and_scales_back_to_the_sfm_world() -> None:
    """Normalised means/log-scales go back through the inverse transform; rotations and SH are untouched."""
    t = SceneTransform(center=(1.0, -2.0, 3.0), scale=0.25, scene_extent=1.0)
    world = np.array([[2.0, 0.0, 1.0], [0.5, -1.0, 7.0]])
    splats = {
        "means": torch.tensor(t.points_to_normalised(world), dtype=torch.float32),
        "scales": torch.log(torch.full((2, 3), 0.1)),
        "quats": torch.tensor([[1.0, 0, 0, 0], [0.5, 0.5, 0.5, 0.5]]),
        "opacities": torch.zeros(2),
        "sh0": torch.ones(2, 1, 3),
        "shN": torch.zeros(2, 3, 3),
    }
    arrays = to_world(splats, t)
    assert np.allclose(arrays.means, world, atol=1e-5)
    assert np.allclose(np.exp(arrays.scales), 0.1 / 0.25, rtol=1e-5)
    assert np.array_equal(arrays.quats, splats["quats"].numpy())
