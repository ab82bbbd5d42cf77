"""Axis conventions of splat files, and turning splats from one to another.

A trained 3DGS `.ply` holds the SfM world as COLMAP gives it, which by convention is read as RDF (x right,
y down, z forward). SPZ stores RUB (x right, y up, z back: OpenGL and three.js), and glTF is LUF (x left,
y up, z forward). Both turns from RDF are 180-degree rotations, about X for RUB and about Z for LUF, so they
are diagonal sign flips with determinant +1: a position's flipped axes change sign, a quaternion's imaginary
part changes as its axis does (x by s_y s_z, y by s_x s_z, z by s_x s_y), and each higher-order SH coefficient
changes sign with the parity of its basis polynomial under the flip. Each turn is its own inverse.
"""

from typing import Literal

import numpy as np

from spaceport_compressor.splats import SplatCloud

Frame = Literal["RDF", "RUB", "LUF"]

AXIS_SIGNS: dict[Frame, tuple[int, int, int]] = {"RDF": (1, 1, 1), "RUB": (1, -1, -1), "LUF": (-1, -1, 1)}
"""Signs of x, y, z relative to RDF."""


def sh_signs(sx: int, sy: int, sz: int) -> np.ndarray:
    """[15] sign of each higher-order SH coefficient (bands 1..3, m = -l..l) under the flip (x, y, z) * s."""
    return np.array(
        [
            sy, sz, sx,  # band 1: y, z, x
            sx * sy, sy * sz, 1, sx * sz, 1,  # band 2: xy, yz, 3z^2-1, xz, x^2-y^2
            sy, sx * sy * sz, sy, sz, sx, sz, sx,  # band 3: y(3x^2-y^2), xyz, y(5z^2-1), z, x, z(x^2-y^2), x
        ],
        dtype=np.float32,
    )  # fmt: skip


def convert(splats: SplatCloud, source: Frame, target: Frame) -> SplatCloud:
    """The same splats described in `target` axes instead of `source` axes (a rotation: shapes are kept)."""
    signs = tuple(a * b for a, b in zip(AXIS_SIGNS[source], AXIS_SIGNS[target], strict=True))
    if signs == (1, 1, 1):
        return splats
    sx, sy, sz = signs
    n, coeffs = splats.count, splats.sh_rest.shape[1] // 3
    flip_q = np.array([1, sy * sz, sx * sz, sx * sy], dtype=np.float32)
    per_channel = splats.sh_rest.reshape(n, 3, coeffs) * sh_signs(sx, sy, sz)[:coeffs]
    return SplatCloud(
        means=splats.means * np.array(signs, dtype=np.float32),
        quats=splats.quats * flip_q,
        log_scales=splats.log_scales,
        f_dc=splats.f_dc,
        opacity=splats.opacity,
        sh_rest=np.ascontiguousarray(per_channel.reshape(n, 3 * coeffs), dtype=np.float32),
    )
