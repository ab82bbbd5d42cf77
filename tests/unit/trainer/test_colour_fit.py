"""The closed-form per-view colour fit: it recovers a known exposure and white balance, and nothing more."""

import pytest
import torch

from spaceport_splats.colour_fit import apply_affine, colour_fitted_psnr, fit_affine
from spaceport_splats.ssim import psnr

pytestmark = pytest.mark.unit


def _image(seed: int) -> torch.Tensor:
    return torch.rand((24, 32, 3), generator=torch.Generator().manual_seed(seed)) * 0.7 + 0.1


def test_fit_recovers_a_known_affine_transform() -> None:
    """A photo that is the render through M | b gives back M | b (to the ridge's tiny pull)."""
    render = _image(0)
    true = torch.tensor([[1.3, 0.05, 0.0, 0.02], [0.0, 0.9, 0.1, -0.03], [0.02, 0.0, 0.75, 0.04]])
    fitted = fit_affine(render, apply_affine(render, true))
    assert torch.allclose(fitted, true, atol=2e-3), fitted


def test_fit_of_a_render_onto_itself_is_the_identity() -> None:
    """Render and photo alike: the transform is the identity and the fitted PSNR is the raw one's ceiling."""
    render = _image(1)
    assert torch.allclose(fit_affine(render, render), torch.eye(3, 4), atol=1e-6)
    assert colour_fitted_psnr(render, render) > 100.0


def test_fit_undoes_exposure_but_not_content() -> None:
    """Exposure and white balance on a photo are undone; a different picture stays far off."""
    render, other = _image(2), _image(3)
    photo = (render * torch.tensor([0.6, 0.7, 0.8])).clamp(0, 1)
    assert float(psnr(render, photo)) < 20.0
    assert colour_fitted_psnr(render, photo) > 60.0
    assert colour_fitted_psnr(other, photo) < 20.0


def test_mismatched_images_are_refused() -> None:
    """Images of different sizes or channel counts are a clear ValueError."""
    with pytest.raises(ValueError, match=r"\[H, W, 3\]"):
        fit_affine(torch.zeros(4, 4, 3), torch.zeros(4, 5, 3))
