"""Closed-form per-view colour fit: the affine colour transform that best maps a render onto its photo.

Photos of one capture differ in exposure and white balance; a held-out photo's own exposure cannot be learned
by the trainer (it never saw that photo). So besides the raw held-out PSNR, the trainer reports the PSNR after
fitting, per held-out view, only a colour transform from the render to the photo: the least-squares solution
of `photo ~= render @ M.T + b` (M 3x3, b 3) over all pixels, with a tiny ridge toward the identity so flat
images stay well posed. The fit has 12 numbers per view against thousands of pixels: it can undo exposure and
white balance, not geometry or texture, so the fitted figure measures the model's shape and detail.
"""

import torch
from torch import Tensor

from spaceport_splats.masked import psnr_over

RIDGE = 1e-4
"""Pull toward identity, relative to the pixel count (the normal matrix is a sum over pixels)."""


def fit_affine(render: Tensor, photo: Tensor, ridge: float = RIDGE, mask: Tensor | None = None) -> Tensor:
    """The affine colour transform [3, 4] (M | b) minimising ||render @ M.T + b - photo||^2 + ridge * P *
    ||(M | b) - (I | 0)||^2 over the P pixels of `render` and `photo` ([H, W, 3], same size) that `mask`
    ([H, W] bool, optional) keeps."""
    if render.shape != photo.shape or render.shape[-1] != 3:
        raise ValueError(f"render {tuple(render.shape)} and photo {tuple(photo.shape)} must both be [H, W, 3]")
    x = render.reshape(-1, 3).double()
    y = photo.reshape(-1, 3).double()
    if mask is not None:
        keep = mask.reshape(-1)
        x, y = x[keep], y[keep]
    xh = torch.cat([x, torch.ones_like(x[:, :1])], dim=1)  # [P, 4]
    identity = torch.eye(4, 3, dtype=torch.float64, device=x.device)  # [4, 3]: (I; 0)
    lam = ridge * len(x)
    normal = xh.T @ xh + lam * torch.eye(4, dtype=torch.float64, device=x.device)
    rhs = xh.T @ y + lam * identity
    solution = torch.linalg.solve_ex(normal, rhs).result  # [4, 3]; positive definite (ridge): no check, no sync
    return solution.T.to(render.dtype)  # [3, 4]


def apply_affine(image: Tensor, transform: Tensor) -> Tensor:
    """`image` [..., 3] through the affine colour transform [3, 4]."""
    return image @ transform[:, :3].T + transform[:, 3]


def colour_fitted(render: Tensor, photo: Tensor, mask: Tensor | None = None) -> Tensor:
    """`render` through the affine colour fit (over the kept pixels) that best matches `photo`, clamped to [0, 1]."""
    return apply_affine(render, fit_affine(render, photo, mask=mask)).clamp(0.0, 1.0)


def colour_fitted_psnr(render: Tensor, photo: Tensor, mask: Tensor | None = None) -> float:
    """PSNR (dB) of `render` against `photo` after the per-view affine colour fit, over the kept pixels."""
    return float(psnr_over(colour_fitted(render, photo, mask), photo, mask))
