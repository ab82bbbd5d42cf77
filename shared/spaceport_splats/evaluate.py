"""Held-out evaluation (PSNR, SSIM per view and averaged, and PSNR after a per-view colour fit) and previews."""

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from spaceport_splats.colour_fit import colour_fitted_psnr
from spaceport_splats.dataset import View
from spaceport_splats.masked import psnr_over, ssim_over
from spaceport_splats.render import Splats, render


@dataclass(frozen=True)
class ViewScore:
    """One held-out view's scores."""

    name: str
    psnr: float
    ssim: float
    psnr_colour_fit: float | None = None
    """PSNR after the closed-form affine colour fit from render to photo (`colour_fit`)."""


@dataclass(frozen=True)
class Evaluation:
    """Scores averaged over the held-out views (renders clamped to [0, 1], as gsplat's trainer does)."""

    step: int
    psnr: float | None
    ssim: float | None
    ms_per_image: float
    views: list[ViewScore] = field(default_factory=list)
    psnr_colour_fit: float | None = None
    """Mean PSNR after fitting each held-out view's exposure and white balance (an affine colour transform,
    least squares from render to photo): the photo's own colours are not the model's to learn."""


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@torch.no_grad()
def evaluate(splats: Splats, views: list[View], sh_degree: int, step: int) -> Evaluation:
    """Render every view in `views` and score it against its photo."""
    if not views:
        return Evaluation(step=step, psnr=None, ssim=None, ms_per_image=0.0)
    device = splats["means"].device
    scores: list[ViewScore] = []
    render_s = 0.0
    for view in views:
        _sync(device)
        t0 = time.perf_counter()
        image = render(splats, view.camera, sh_degree).image.clamp(0.0, 1.0)
        _sync(device)
        render_s += time.perf_counter() - t0
        photo = view.photo()
        target = photo.target()
        quality = (psnr_over(image, target, photo.mask), ssim_over(image, target, photo.mask))
        fitted = colour_fitted_psnr(image, target, photo.mask)
        scores.append(ViewScore(view.name, float(quality[0]), float(quality[1]), fitted))
    return Evaluation(
        step=step,
        psnr=float(np.mean([s.psnr for s in scores])),
        ssim=float(np.mean([s.ssim for s in scores])),
        ms_per_image=1000.0 * render_s / len(views),
        views=scores,
        psnr_colour_fit=float(np.mean([s.psnr_colour_fit for s in scores])),
    )


@torch.no_grad()
def save_previews(splats: Splats, views: list[View], sh_degree: int, folder: Path, count: int) -> list[Path]:
    """Photo | render side by side for the first `count` views, as PNG files."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for view in views[:count]:
        image = render(splats, view.camera, sh_degree).image.clamp(0.0, 1.0)
        pair = torch.cat([view.target(), image], dim=1)  # [H, 2W, 3]
        pixels = (pair * 255.0 + 0.5).to(torch.uint8).cpu().numpy()
        path = folder / f"{Path(view.name).stem}.png"
        Image.fromarray(pixels).save(path)
        paths.append(path)
    return paths
