"""Coarse-to-fine training: the schedule, the coarse camera and photo, and a coarse run that still learns."""

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

import spaceport_trainer.loop as loop_module
from spaceport.params.trainer import TrainParams
from spaceport_splats.cameras import Camera, Lens, make_camera
from spaceport_splats.render import render_torch
from spaceport_splats.ssim import psnr
from spaceport_trainer.coarse import coarse_camera, coarse_photo, factor_at
from spaceport_trainer.train import train
from tests.unit.trainer.synthetic import look_at, short_cpu_run, true_splats

pytestmark = pytest.mark.unit


def test_the_coarse_factor_holds_for_its_share_of_the_steps_only() -> None:
    """Factor 2 for the first 40% of 100 steps, then full resolution; factor 1 or share 0 never coarsens."""
    params = TrainParams(steps=100, coarse_factor=2, coarse_fraction=0.4)
    assert [factor_at(params, s) for s in (0, 39, 40, 99)] == [2, 2, 1, 1]
    assert factor_at(params.model_copy(update={"coarse_fraction": 0.0}), 0) == 1
    assert factor_at(params.model_copy(update={"coarse_factor": 1}), 0) == 1


def test_the_coarse_photo_averages_blocks_and_keeps_only_whole_blocks() -> None:
    """Each coarse pixel is the mean of its block (remainder dropped); a block with one masked pixel is masked."""
    target = torch.arange(5 * 7 * 3, dtype=torch.float32).reshape(5, 7, 3)
    mask = torch.ones(5, 7, dtype=torch.bool)
    mask[1, 3] = False
    pooled, kept = coarse_photo(target, mask, 2)
    assert pooled.shape == (2, 3, 3) and kept is not None and kept.shape == (2, 3)
    assert torch.allclose(pooled[1, 2], target[2:4, 4:6].reshape(-1, 3).mean(0))
    assert kept.tolist() == [[True, False, True], [True, True, True]]
    assert coarse_photo(target, None, 2)[1] is None


def fine_camera(width: int, height: int) -> Camera:
    """A pinhole camera looking at the synthetic sphere, principal point off centre."""
    f = 0.9 * width
    K = np.array([[f, 0, 0.45 * width], [0, f, 0.55 * height], [0, 0, 1.0]])
    eye = np.array([3 * math.cos(0.7), 3 * math.sin(0.7), 0.5])
    return make_camera(look_at(eye), K, width, height, Lens("pinhole"))


def test_a_coarse_render_matches_the_fine_render_averaged_over_blocks() -> None:
    """Rendering through the coarse camera draws the fine render block-averaged, with no offset: a principal point
    off by a quarter coarse pixel (the pixel-centre mistake) scores at least 2 dB less."""
    splats = true_splats(2000, np.random.default_rng(3))
    fine = fine_camera(96, 72)
    coarse = coarse_camera(fine, 2)
    off = coarse.K.clone()
    off[:2, 2] -= 0.25
    with torch.no_grad():
        pooled, _ = coarse_photo(render_torch(splats, fine, 0)[0], None, 2)
        small = render_torch(splats, coarse, 0)[0]
        shifted = render_torch(splats, replace(coarse, K=off), 0)[0]
    assert small.shape == pooled.shape == (36, 48, 3)
    assert float(psnr(small, pooled)) > 28.5  # not equal: the renderer's fixed 0.3 px blur is relatively wider
    assert float(psnr(small, pooled)) > float(psnr(shifted, pooled)) + 2.0


def test_a_coarse_start_renders_small_early_and_learns_about_as_well(
    synthetic_scene: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Half of 300 CPU steps at half resolution: those steps render 32x24, the rest 64x48; held-out PSNR rises by 3 dB
    or more and ends within 1 dB of the same run at full resolution throughout (CPU: 16.4 against 17.0 dB)."""
    sizes: list[tuple[int, int]] = []
    real_render = loop_module.render

    def spy(splats: dict[str, torch.Tensor], camera: Camera, degree: int) -> object:
        sizes.append((camera.width, camera.height))
        return real_render(splats, camera, degree)

    params = short_cpu_run().model_copy(update={"preview_views": 0})
    full = train(synthetic_scene, tmp_path / "full", params).evaluations[-1].psnr
    monkeypatch.setattr(loop_module, "render", spy)
    coarse = params.model_copy(update={"coarse_factor": 2, "coarse_fraction": 0.5})
    report = train(synthetic_scene, tmp_path / "coarse", coarse)
    assert sizes[:150] == [(32, 24)] * 150 and sizes[150:] == [(64, 48)] * 150
    first, last = report.evaluations[0], report.evaluations[-1]
    assert first.psnr is not None and last.psnr is not None and full is not None
    assert last.psnr - first.psnr >= 3.0, (first.psnr, last.psnr)
    assert last.psnr >= full - 1.0, (last.psnr, full)
    assert first.train_seconds is not None and last.train_seconds is not None
    assert 0 < first.train_seconds < last.train_seconds <= report.train_seconds + 1e-6
