"""Export to the standard 3DGS `.ply` (Inria layout, binary little-endian), and read it back.

Vertex properties, all float32: x y z, nx ny nz (zeros), f_dc_0..2, f_rest_0..(3(K-1)-1) channel-major,
opacity (logit), scale_0..2 (log), rot_0..3 (wxyz, as trained). Positions and scales are mapped back to
the SfM world; rows holding NaN or Inf are dropped (each row on its own) before writing.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from plyfile import PlyData, PlyElement

from spaceport_splats.normalize import SceneTransform
from spaceport_splats.render import Splats


@dataclass(frozen=True)
class SplatArrays:
    """Raw splat parameters as float32 arrays in one frame."""

    means: np.ndarray  # [N, 3]
    sh0: np.ndarray  # [N, 1, 3]
    shN: np.ndarray  # [N, K-1, 3]
    opacities: np.ndarray  # [N] logit
    scales: np.ndarray  # [N, 3] log
    quats: np.ndarray  # [N, 4] wxyz

    def __len__(self) -> int:
        return int(self.means.shape[0])

    def finite_rows(self) -> np.ndarray:
        """[N] bool: rows whose every value is finite."""
        flat = [
            self.means,
            self.sh0.reshape(len(self), -1),
            self.shN.reshape(len(self), -1),
            self.opacities[:, None],
            self.scales,
            self.quats,
        ]
        return np.all(np.isfinite(np.concatenate(flat, axis=1)), axis=1)

    def select(self, rows: np.ndarray) -> "SplatArrays":
        return SplatArrays(
            self.means[rows],
            self.sh0[rows],
            self.shN[rows],
            self.opacities[rows],
            self.scales[rows],
            self.quats[rows],
        )


def to_world(splats: Splats, transform: SceneTransform) -> SplatArrays:
    """The trained splats as arrays in the SfM world frame."""

    def host(name: str) -> np.ndarray:
        return splats[name].detach().float().cpu().numpy()

    return SplatArrays(
        means=transform.points_to_world(host("means").astype(np.float64)).astype(np.float32),
        sh0=host("sh0"),
        shN=host("shN"),
        opacities=host("opacities"),
        scales=transform.log_scales_to_world(host("scales").astype(np.float64)).astype(np.float32),
        quats=host("quats"),
    )


def from_world(arrays: SplatArrays, transform: SceneTransform) -> SplatArrays:
    """World-frame splats (as in the `.ply`) in the normalised frame of `transform`: `to_world` undone."""
    return SplatArrays(
        means=transform.points_to_normalised(arrays.means.astype(np.float64)).astype(np.float32),
        sh0=arrays.sh0.astype(np.float32),
        shN=arrays.shN.astype(np.float32),
        opacities=arrays.opacities.astype(np.float32),
        scales=transform.log_scales_to_normalised(arrays.scales.astype(np.float64)).astype(np.float32),
        quats=arrays.quats.astype(np.float32),
    )


def property_names(rest: int) -> list[str]:
    """Vertex property names for `rest` higher SH coefficients per channel."""
    return (
        ["x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2"]
        + [f"f_rest_{i}" for i in range(3 * rest)]
        + ["opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"]
    )


def write_ply(path: Path, arrays: SplatArrays) -> tuple[int, int]:
    """Write finite rows; returns (splats written, rows dropped)."""
    keep = arrays.finite_rows()
    a = arrays.select(keep)
    n, rest = len(a), a.shN.shape[1]
    columns = np.concatenate(
        [
            a.means,
            np.zeros((n, 3), np.float32),
            a.sh0.reshape(n, 3),
            a.shN.transpose(0, 2, 1).reshape(n, 3 * rest),
            a.opacities[:, None],
            a.scales,
            a.quats,
        ],
        axis=1,
    ).astype("<f4")
    names = property_names(rest)
    vertex = np.empty(n, dtype=[(name, "<f4") for name in names])
    for i, name in enumerate(names):
        vertex[name] = columns[:, i]
    path.parent.mkdir(parents=True, exist_ok=True)
    PlyData([PlyElement.describe(vertex, "vertex")], byte_order="<").write(str(path))
    return n, int((~keep).sum())


def read_ply(path: Path) -> SplatArrays:
    """Read a 3DGS `.ply` (any SH degree) into arrays."""
    v = PlyData.read(str(path))["vertex"].data
    names = v.dtype.names or ()
    rest = sum(1 for name in names if name.startswith("f_rest_")) // 3

    def cols(keys: list[str]) -> np.ndarray:
        return np.stack([np.asarray(v[k], dtype=np.float32) for k in keys], axis=1)

    n = len(v)
    sh_rest = cols([f"f_rest_{i}" for i in range(3 * rest)]) if rest else np.zeros((n, 0), np.float32)
    return SplatArrays(
        means=cols(["x", "y", "z"]),
        sh0=cols(["f_dc_0", "f_dc_1", "f_dc_2"]).reshape(n, 1, 3),
        shN=sh_rest.reshape(n, 3, rest).transpose(0, 2, 1).copy(),
        opacities=np.asarray(v["opacity"], dtype=np.float32),
        scales=cols(["scale_0", "scale_1", "scale_2"]),
        quats=cols(["rot_0", "rot_1", "rot_2", "rot_3"]),
    )


def to_splats(arrays: SplatArrays, device: torch.device | str = "cpu") -> Splats:
    """Arrays as splat tensors (no gradients)."""
    return {
        name: torch.from_numpy(np.ascontiguousarray(getattr(arrays, name))).to(device)
        for name in ("means", "scales", "quats", "opacities", "sh0", "shN")
    }
