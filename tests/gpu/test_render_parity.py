"""GPU: gsplat (CUDA) and our CPU tile rasterizer render the same splats alike; CUDA training learns."""

import math
from pathlib import Path

import pytest
import torch

from spaceport.params.trainer import TrainParams
from spaceport_splats.cameras import Camera, Lens
from spaceport_splats.render import render
from spaceport_trainer.train import train
from tests.unit.trainer.synthetic import look_at, true_splats, write_synthetic_scene

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")]


def _scene(n: int = 3000) -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    splats = {
        "means": torch.randn(n, 3) * 0.5,
        "scales": torch.log(torch.rand(n, 3) * 0.05 + 0.01),
        "quats": torch.randn(n, 4),
        "opacities": torch.randn(n),
        "sh0": torch.randn(n, 1, 3) * 0.5,
        "shN": torch.randn(n, 15, 3) * 0.1,
    }
    return splats


def _camera(lens: Lens) -> Camera:
    import numpy as np

    w2c = torch.as_tensor(look_at(np.array([0.3, -3.0, 0.5])), dtype=torch.float32)
    K = torch.tensor([[150.0, 0, 80.0], [0, 150.0, 60.0], [0, 0, 1.0]])
    return Camera(w2c, K, 160, 120, lens)


@pytest.mark.parametrize(
    ("lens", "tolerance"),
    [(Lens("pinhole"), 0.01), (Lens("pinhole", (0.05, 0.0, 0.0, 0.0, 0.0, 0.0)), 0.03)],
    ids=["pinhole-classic", "radial-3dgut-vs-linearised"],
)
def test_cpu_and_gsplat_renders_agree(lens: Lens, tolerance: float) -> None:
    """Mean absolute pixel difference between our CPU renderer and gsplat stays within the tolerance."""
    splats = _scene()
    cam = _camera(lens)
    cpu = render(splats, cam, 3).image
    gpu = render({k: v.cuda() for k, v in splats.items()}, cam.to("cuda"), 3).image.cpu()
    assert cpu.shape == gpu.shape
    diff = (cpu - gpu).abs().mean().item()
    assert diff < tolerance, f"mean |cpu - gsplat| = {diff:.4f}"
    assert cpu.mean().item() > 0.05  # the view is not empty


@pytest.mark.parametrize(
    ("camera", "renderer", "lens_handling", "coarse"),
    [
        ("original", "gsplat-3dgut", "as-is", 1),
        ("auto", "gsplat", "undistorted", 1),
        ("auto", "gsplat", "undistorted", 2),
    ],
)
def test_cuda_training_raises_heldout_psnr(
    tmp_path: Path, camera: str, renderer: str, lens_handling: str, coarse: int
) -> None:
    """300 CUDA steps (MCMC) on the synthetic radial-lens scene raise held-out PSNR by at least 4 dB, through
    3DGUT on the original photos or, as `auto` does on a GPU, the classic rasterizer on undistorted photos (also
    with the first half of the steps at half resolution)."""
    scene = write_synthetic_scene(tmp_path / "scene", width=96, height=72)
    params = TrainParams.preset_named("preview").model_copy(
        update={
            "steps": 300,
            "data_factor": 1,
            "max_image_side": None,
            "eval_steps": (1,),
            "device": "cuda",
            "camera": camera,
            "coarse_factor": coarse,
            "coarse_fraction": 0.5,
        }
    )
    report = train(scene, tmp_path / "out", params)
    first, last = report.evaluations[0], report.evaluations[-1]
    assert (report.renderer, report.lens_handling) == (renderer, lens_handling)
    assert last.psnr is not None and first.psnr is not None
    assert last.psnr - first.psnr >= 4.0, (first.psnr, last.psnr)
    assert math.isfinite(last.ssim or math.nan)


def test_a_coarse_gsplat_render_matches_the_fine_one_block_averaged() -> None:
    """gsplat through the coarse camera draws its fine render block-averaged, with no offset: a principal point a
    quarter coarse pixel off scores at least 2 dB less (as on the CPU, tests/unit/trainer/test_coarse.py)."""
    from dataclasses import replace

    from spaceport_splats.ssim import psnr
    from spaceport_trainer.coarse import coarse_camera, coarse_photo

    splats = {k: v.cuda() for k, v in _scene().items()}
    fine = _camera(Lens("pinhole")).to("cuda")
    coarse = coarse_camera(fine, 2)
    off = coarse.K.clone()
    off[:2, 2] -= 0.25
    with torch.no_grad():
        pooled, _ = coarse_photo(render(splats, fine, 3).image, None, 2)
        small = render(splats, coarse, 3).image
        shifted = render(splats, replace(coarse, K=off), 3).image
    assert small.shape == pooled.shape == (60, 80, 3)
    assert float(psnr(small, pooled)) > float(psnr(shifted, pooled)) + 2.0, (psnr(small, pooled), psnr(shifted, pooled))


def test_true_splats_fixture_is_visible() -> None:
    """The synthetic sphere renders non-empty on CUDA (guards the fixture used above)."""
    truth = {k: v.cuda() for k, v in true_splats(500, __import__("numpy").random.default_rng(0)).items()}
    out = render(truth, _camera(Lens("pinhole")).to("cuda"), 0)
    assert out.alpha.mean().item() > 0.05
