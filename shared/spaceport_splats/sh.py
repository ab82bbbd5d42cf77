"""Real spherical harmonics up to degree 3, as in 3DGS (and gsplat): colour = SH(dir) + 0.5."""

import torch
from torch import Tensor

from spaceport.params.trainer import TrainParams

C0 = 0.28209479177387814
C1 = 0.4886025119029199
C2 = (1.0925484305920792, -1.0925484305920792, 0.31539156525252005, -1.0925484305920792, 0.5462742152960396)
C3 = (
    -0.5900435899266435,
    2.890611442640554,
    -0.4570457994644658,
    0.3731763325901154,
    -0.4570457994644658,
    1.445305721320277,
    -0.5900435899266435,
)


def num_bases(degree: int) -> int:
    """Coefficients per channel for SH up to `degree`."""
    return (degree + 1) ** 2


def rgb_to_sh(rgb: Tensor) -> Tensor:
    """The DC coefficient that renders as `rgb`."""  # [..., 3] -> [..., 3]
    return (rgb - 0.5) / C0


def sh_bases(degree: int, dirs: Tensor) -> Tensor:
    """SH basis values for unit `dirs` [N, 3] -> [N, (degree+1)^2]."""
    x, y, z = dirs.unbind(-1)
    out = [torch.full_like(x, C0)]
    if degree > 0:
        out += [-C1 * y, C1 * z, -C1 * x]
    if degree > 1:
        xx, yy, zz = x * x, y * y, z * z
        out += [C2[0] * x * y, C2[1] * y * z, C2[2] * (2 * zz - xx - yy), C2[3] * x * z, C2[4] * (xx - yy)]
    if degree > 2:
        out += [
            C3[0] * y * (3 * xx - yy),
            C3[1] * x * y * z,
            C3[2] * y * (4 * zz - xx - yy),
            C3[3] * z * (2 * zz - 3 * xx - 3 * yy),
            C3[4] * x * (4 * zz - xx - yy),
            C3[5] * z * (xx - yy),
            C3[6] * x * (xx - 3 * yy),
        ]
    return torch.stack(out, dim=-1)


def sh_to_color(degree: int, dirs: Tensor, coeffs: Tensor) -> Tensor:
    """Colours [N, 3] from coefficients [N, K, 3] seen along unit `dirs` [N, 3] (first bands only)."""
    bases = sh_bases(degree, dirs)  # [N, B]
    rgb = torch.einsum("nb,nbc->nc", bases, coeffs[:, : bases.shape[-1], :])
    return (rgb + 0.5).clamp_min(0.0)


def active_sh_degree(params: TrainParams, step: int) -> int:
    """One more SH band every `sh_degree_interval` steps, up to `sh_degree`."""
    return min(step // params.sh_degree_interval, params.sh_degree)
