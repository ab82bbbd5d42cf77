"""The CPU rasterizer: exact against a dense reference, gradients against finite differences."""

import numpy as np
import pytest
import torch

from spaceport_splats.cameras import Camera, Lens
from spaceport_splats.projection import distort
from spaceport_splats.raster_torch import rasterize
from spaceport_splats.render import render_torch
from tests.unit.trainer.synthetic import look_at

pytestmark = pytest.mark.unit


def _gaussians(n: int, size: int, seed: int = 0, max_opacity: float = 0.8) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(seed)
    means = (torch.rand(n, 2, generator=g) * (size - 2) + 1).double()
    a = torch.rand(n, 2, 2, generator=g).double() * 0.6
    cov = a @ a.transpose(1, 2) + 2.0 * torch.eye(2).double()
    inv = torch.linalg.inv(cov)
    conics = torch.stack([inv[:, 0, 0], inv[:, 0, 1], inv[:, 1, 1]], -1)
    colors = torch.rand(n, 3, generator=g).double()
    opac = (torch.rand(n, generator=g) * (max_opacity - 0.1) + 0.1).double()
    depths = torch.rand(n, generator=g).double()
    return means, conics, colors, opac, depths


def _dense(means, conics, colors, opac, depths, w, h):
    """Per-pixel front-to-back compositing, no tiles: the reference."""
    img = torch.zeros(h, w, 3, dtype=torch.float64)
    order = torch.argsort(depths)
    for y in range(h):
        for x in range(w):
            t = 1.0
            for i in order.tolist():
                dx, dy = x + 0.5 - means[i, 0], y + 0.5 - means[i, 1]
                a, b, c = conics[i]
                sigma = 0.5 * (a * dx * dx + c * dy * dy) + b * dx * dy
                alpha = min(0.999, float(opac[i] * torch.exp(-sigma)))
                if sigma < 0 or alpha < 1 / 255:
                    continue
                img[y, x] += colors[i] * alpha * t
                t *= 1 - alpha
    return img


def test_rasterizer_matches_dense_reference() -> None:
    """Pixel-sorted pairs with segmented transmittance give the per-pixel compositing result."""
    # opacities below 0.35: there the 3-sigma cap on a splat's extent never cuts an alpha >= 1/255
    means, conics, colors, opac, depths = _gaussians(8, 12, max_opacity=0.34)
    image, _ = rasterize(means, conics, colors, opac, depths, 12, 12)
    reference = _dense(means, conics, colors, opac, depths, 12, 12)
    assert torch.allclose(image, reference, atol=1e-9), (image - reference).abs().max()


def test_rasterizer_gradients_match_finite_differences() -> None:
    """The hand-written compositing backward (with autograd alphas) matches finite differences (float64)."""
    means, conics, colors, opac, depths = _gaussians(6, 12, seed=1)
    inputs = tuple(t.clone().requires_grad_(True) for t in (means, conics, colors, opac))

    def fn(m, con, col, op):
        image, alpha = rasterize(m, con, col, op, depths, 12, 12)
        return torch.cat([image, alpha], dim=-1)

    assert torch.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize(
    "lens",
    [
        Lens("pinhole"),
        Lens("pinhole", (0.08, -0.02, 0.01, 0.0, 0.0, 0.0), (0.002, -0.001)),
        Lens("fisheye", (0.05, 0.01, 0.0, 0.0)),
    ],
    ids=["pinhole", "opencv", "fisheye"],
)
def test_render_gradients_match_finite_differences(lens: Lens) -> None:
    """Gradients of a whole CPU render (projection, lens, SH, compositing) w.r.t. every splat parameter."""
    g = torch.Generator().manual_seed(2)
    n = 5
    splats = {
        "means": torch.randn(n, 3, generator=g).double() * 0.3,
        "scales": torch.log(torch.rand(n, 3, generator=g).double() * 0.1 + 0.15),
        "quats": torch.randn(n, 4, generator=g).double(),
        "opacities": torch.randn(n, generator=g).double(),
        "sh0": torch.randn(n, 1, 3, generator=g).double() * 0.5,
        "shN": torch.randn(n, 3, 3, generator=g).double() * 0.2,
    }
    w2c = torch.as_tensor(look_at(np.array([0.4, -2.5, 0.6])), dtype=torch.float32)
    cam = Camera(w2c, torch.tensor([[14.0, 0, 8.0], [0, 14.0, 6.0], [0, 0, 1]]), 16, 12, lens)
    names = list(splats)
    inputs = tuple(splats[k].requires_grad_(True) for k in names)

    def fn(*tensors):
        image, alpha, _ = render_torch(dict(zip(names, tensors, strict=True)), cam, 1)
        return torch.cat([image, alpha], dim=-1)

    assert fn(*inputs)[..., 3].max() > 0.3  # the splats are in view
    # fast mode: compares v^T J u for random u, v (one finite-difference sweep instead of one per input)
    assert torch.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=True)


@pytest.mark.parametrize(
    "lens",
    [Lens("pinhole", (0.1, -0.05, 0.02, 0.01, 0.0, 0.003), (0.003, -0.002)), Lens("fisheye", (0.1, -0.02, 0.01, 0.0))],
    ids=["opencv-rational", "fisheye"],
)
def test_lens_jacobian_matches_autograd(lens: Lens) -> None:
    """The analytic Jacobian of the lens model equals autograd's, point by point."""
    xy = torch.tensor([[0.1, -0.2], [0.4, 0.3], [-0.5, 0.05]], dtype=torch.float64)
    _, jac = distort(lens, xy)
    for i in range(len(xy)):
        expected = torch.autograd.functional.jacobian(lambda p: distort(lens, p[None])[0][0], xy[i])
        assert torch.allclose(jac[i], expected, atol=1e-10)
