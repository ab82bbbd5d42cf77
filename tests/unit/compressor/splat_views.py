"""What a renderer makes of splats, and how far SPZ's quantisation may move them: checks shared by the format tests.

Colours come from the 3DGS spherical-harmonics formula (real SH with the Condon-Shortley phase, the
constants of the glTF KHR_gaussian_splatting appendix), covariances from rotation and scale. Written out
here rather than taken from the code under test, so a wrong sign table there cannot hide itself.
"""

import numpy as np
import numpy.typing as npt

from spaceport_compressor.fidelity import rotation_error_deg
from spaceport_compressor.splats import SplatCloud

F64 = npt.NDArray[np.float64]
SIGMOID_STEP = 0.5 / 255
SH_TOLERANCE = {1: 4.5 / 128, 2: 8.5 / 128, 3: 8.5 / 128}
"""Largest SH error: half a 5-bit (band 1) or 4-bit (bands 2-3) bucket of the 8-bit code, and half a code."""
ROTATION_DEG = {2: 12.0, 3: 0.25}
"""Largest rotation error: v2's 8-bit x, y, z lose w near 0 (measured 10.0 deg max, 0.63 median); v3's 0.20."""


def sigmoid(x: npt.NDArray[np.floating]) -> F64:
    """Opacity from its logit."""
    return 1.0 / (1.0 + np.exp(-x.astype(np.float64)))


def assert_within_spz_steps(original: SplatCloud, decoded: SplatCloud, version: int) -> None:
    """Every attribute within half of SPZ's quantisation step (clamped to its range), row by row."""
    assert decoded.count == original.count and decoded.sh_bands == original.sh_bands
    assert np.abs(decoded.means - original.means).max() <= 0.5 / 4096 + 1e-5
    assert np.abs(decoded.log_scales - np.clip(original.log_scales, -10, 245 / 16 - 10)).max() <= 1 / 32 + 1e-6
    assert np.abs(decoded.f_dc - np.clip(original.f_dc, -127.5 / 38.25, 127.5 / 38.25)).max() <= 0.5 / 38.25 + 1e-6
    assert np.abs(sigmoid(decoded.opacity) - sigmoid(original.opacity)).max() <= SIGMOID_STEP + 1e-6
    assert rotation_error_deg(original.quats, decoded.quats).max() < ROTATION_DEG[version]
    n, coeffs = original.count, original.sh_rest.shape[1] // 3
    error = np.abs(decoded.sh_rest - np.clip(original.sh_rest, -1, 127 / 128)).reshape(n, 3, coeffs)
    for band, (start, stop) in {1: (0, 3), 2: (3, 8), 3: (8, 15)}.items():
        if coeffs > start:
            assert error[:, :, start:stop].max() <= SH_TOLERANCE[band] + 1e-6, band


C0 = 0.2820947917738781
C1 = 0.4886025119029199
C2 = (1.092548430592079, -1.092548430592079, 0.31539156525252, -1.092548430592079, 0.5462742152960395)
C3 = (-0.5900435899266435, 2.890611442640554, -0.4570457994644657, 0.3731763325901154, -0.4570457994644657,
      1.445305721320277, -0.5900435899266435)  # fmt: skip


def sh_basis(dirs: F64) -> F64:
    """[N, 16] SH basis values (bands 0-3, m = -l..l) at unit directions [N, 3]."""
    x, y, z = dirs[:, 0], dirs[:, 1], dirs[:, 2]
    xx, yy, zz = x * x, y * y, z * z
    return np.stack(
        [
            np.full_like(x, C0), -C1 * y, C1 * z, -C1 * x,
            C2[0] * x * y, C2[1] * y * z, C2[2] * (2 * zz - xx - yy), C2[3] * x * z, C2[4] * (xx - yy),
            C3[0] * y * (3 * xx - yy), C3[1] * x * y * z, C3[2] * y * (4 * zz - xx - yy),
            C3[3] * z * (2 * zz - 3 * xx - 3 * yy), C3[4] * x * (4 * zz - xx - yy), C3[5] * z * (xx - yy),
            C3[6] * x * (xx - 3 * yy),
        ],
        axis=1,
    )  # fmt: skip


def colours(splats: SplatCloud, dirs: F64) -> F64:
    """[N, 3] colour of each splat seen along its direction in `dirs` [N, 3] (before the 0.5 offset)."""
    n, coeffs = splats.count, splats.sh_rest.shape[1] // 3
    sh = np.concatenate([splats.f_dc[:, :, None], splats.sh_rest.reshape(n, 3, coeffs)], axis=2)  # [N, 3, K]
    return np.einsum("nck,nk->nc", sh.astype(np.float64), sh_basis(dirs)[:, : coeffs + 1])


def covariances(splats: SplatCloud) -> F64:
    """[N, 3, 3] covariance R S^2 R^T of each splat."""
    w, x, y, z = (splats.quats / np.linalg.norm(splats.quats, axis=1, keepdims=True)).astype(np.float64).T
    rot = np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
            np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
            np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
        ],
        axis=1,
    )
    scale = np.exp(splats.log_scales.astype(np.float64))
    return np.einsum("nij,nj,nkj->nik", rot, scale**2, rot)


def random_directions(n: int, seed: int = 0) -> F64:
    """[N, 3] seeded unit vectors."""
    dirs = np.random.default_rng(seed).normal(size=(n, 3))
    return dirs / np.linalg.norm(dirs, axis=1, keepdims=True)


def assert_same_scene(a: SplatCloud, b: SplatCloud, signs: tuple[int, int, int], atol: float = 1e-5) -> None:
    """`b` is `a` seen in axes flipped by `signs`: same places, shapes and colours from every direction."""
    flip = np.array(signs, dtype=np.float64)
    assert np.allclose(b.means, a.means * flip, atol=atol)
    relative = atol * (1 + np.abs(covariances(a)).max())
    assert np.allclose(covariances(b), covariances(a) * flip[:, None] * flip[None, :], atol=relative)
    dirs = random_directions(a.count)
    assert np.allclose(colours(b, dirs * flip), colours(a, dirs), atol=atol)
