"""Our SSIM and PSNR: the standard definitions (11-tap Gaussian, valid borders)."""

import math

import pytest
import torch
import torch.nn.functional as F

from spaceport_splats.ssim import C1, C2, psnr, ssim

pytestmark = pytest.mark.unit


def _ssim_direct(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """SSIM with a full 2D window per channel, the textbook way."""
    g = torch.exp(-((torch.arange(11, dtype=torch.float64) - 5) ** 2) / (2 * 1.5**2))
    w = (g[:, None] * g[None, :]) / g.sum() ** 2
    x, y = x.permute(2, 0, 1)[:, None].double(), y.permute(2, 0, 1)[:, None].double()

    def blur(t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(t, w[None, None])

    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx**2, blur(y * y) - my**2, blur(x * y) - mx * my
    return (((2 * mx * my + C1) * (2 * cxy + C2)) / ((mx**2 + my**2 + C1) * (vx + vy + C2))).mean()


def test_ssim_matches_the_direct_definition() -> None:
    """The separable grouped blur gives the same SSIM as a full 2D window."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(40, 50, 3, generator=g, dtype=torch.float64)
    y = (x + 0.1 * torch.randn(40, 50, 3, generator=g, dtype=torch.float64)).clamp(0, 1)
    assert math.isclose(float(ssim(x, y)), float(_ssim_direct(x, y)), rel_tol=1e-9)
    assert math.isclose(float(ssim(x, x)), 1.0, rel_tol=1e-9)


def test_psnr_of_a_known_error() -> None:
    """A uniform error of 0.1 is 20 dB."""
    x = torch.full((8, 8, 3), 0.5)
    assert math.isclose(float(psnr(x, x + 0.1)), 20.0, rel_tol=1e-4)
