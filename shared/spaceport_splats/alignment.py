"""How far a render sits from its photo: the shift and magnification that best map one onto the other.

A held-out view drawn from the wrong camera (another view's pose, a mis-scaled focal length, a principal
point off by some pixels) shows as a measurable shift or scale between the render and the photo, even when
the model itself is sharp. `measure_offset` fits `photo(x) ~ render(c + s (x - c) + d)` (c the image centre)
on blurred grey images by L-BFGS through bilinear resampling, coarse to fine, and reports (dx, dy, s) and the
correlation reached. A perfect camera gives d = 0 and s = 1 to a fraction of a pixel.
"""

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

LEVELS = (4, 2, 1)
"""Downscale factors of the coarse-to-fine fit: large shifts are caught at 1/4 size, refined at full size."""


@dataclass(frozen=True)
class Offset:
    """Render-to-photo misalignment in pixels of the compared images, and how well the best fit matches."""

    dx: float
    dy: float
    scale: float
    correlation: float  # normalised cross-correlation of the aligned grey images, in [-1, 1]

    def edge_pixels(self, width: int, height: int) -> float:
        """The largest displacement the fit implies anywhere in the image (shift plus scale at a corner)."""
        corner = 0.5 * (width**2 + height**2) ** 0.5
        return (self.dx**2 + self.dy**2) ** 0.5 + abs(self.scale - 1.0) * corner


def _grey(image: Tensor, factor: int) -> Tensor:
    """[H, W, 3] in [0, 1] -> blurred grey [1, 1, h, w] at 1/`factor` size."""
    g = (image.float() @ torch.tensor([0.299, 0.587, 0.114], device=image.device))[None, None]
    if factor > 1:
        g = F.avg_pool2d(g, factor)
    kernel = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0], device=image.device) / 16.0
    g = F.conv2d(F.pad(g, (2, 2, 0, 0), mode="replicate"), kernel.view(1, 1, 1, 5))
    return F.conv2d(F.pad(g, (0, 0, 2, 2), mode="replicate"), kernel.view(1, 1, 5, 1))


def _warp(render: Tensor, params: Tensor, height: int, width: int) -> Tensor:
    """`render` sampled at c + s (x - c) + d for every pixel x (params = dx, dy, log s in pixels)."""
    dx, dy, log_s = params.unbind()
    s = torch.exp(log_s)
    ys, xs = torch.meshgrid(
        torch.linspace(-1, 1, height, device=render.device),
        torch.linspace(-1, 1, width, device=render.device),
        indexing="ij",
    )
    grid = torch.stack([s * xs + 2 * dx / width, s * ys + 2 * dy / height], dim=-1)[None]
    return F.grid_sample(render, grid, mode="bilinear", padding_mode="border", align_corners=True)


def _correlation(a: Tensor, b: Tensor) -> float:
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / (a.norm() * b.norm()).clamp_min(1e-12))


def _objective(optimizer: torch.optim.Optimizer, level: Tensor, moving: Tensor, target: Tensor) -> Callable[[], Tensor]:
    """L-BFGS's closure: the mean squared difference of the warped render and the photo."""

    def closure() -> Tensor:
        optimizer.zero_grad()
        loss = ((_warp(moving, level, *target.shape[-2:]) - target) ** 2).mean()
        loss.backward()
        return loss

    return closure


def measure_offset(photo: Tensor, render: Tensor) -> Offset:
    """The shift (pixels of these images) and scale that carry `render` onto `photo`, both [H, W, 3] in [0, 1]."""
    params = torch.zeros(3, dtype=torch.float32, device=photo.device)
    with torch.enable_grad():
        for factor in LEVELS:
            target, moving = _grey(photo.detach(), factor), _grey(render.detach(), factor)
            level = torch.tensor(
                [params[0] / factor, params[1] / factor, params[2]], device=photo.device, requires_grad=True
            )
            optimizer = torch.optim.LBFGS([level], lr=1.0, max_iter=60, line_search_fn="strong_wolfe")

            optimizer.step(_objective(optimizer, level, moving, target))
            params = torch.stack([level[0] * factor, level[1] * factor, level[2]]).detach()
    target, moving = _grey(photo.detach(), 1), _grey(render.detach(), 1)
    aligned = _warp(moving, params, *target.shape[-2:])
    return Offset(
        dx=float(params[0]),
        dy=float(params[1]),
        scale=float(torch.exp(params[2])),
        correlation=_correlation(aligned, target),
    )
