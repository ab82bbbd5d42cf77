"""Coarse-to-fine training: the first `coarse_fraction` of the steps render and compare at 1/`coarse_factor`.

Early on the splats are few and blurry, so full-resolution pixels buy little; a pixel of the coarse image is the
mean of `coarse_factor` x `coarse_factor` photo pixels, and the camera's intrinsics shrink by the same factor (in
continuous pixel coordinates, so the coarse image covers exactly the fine one, less a remainder row or column).
Opt-in: on fox (H100, benchmarks/trainer/RESULTS.md, session 15) half resolution for half the run saved no time (a
step there is bound by the host's kernel launches, not by pixels) and ended 0.14 dB lower.
"""

from dataclasses import replace

from torch import Tensor

from spaceport.params.trainer import TrainParams
from spaceport_splats.cameras import Camera


def factor_at(params: TrainParams, step: int) -> int:
    """The downscale factor for step `step` (1: full resolution)."""
    if params.coarse_factor <= 1 or step >= params.coarse_fraction * params.steps:
        return 1
    return params.coarse_factor


def coarse_camera(camera: Camera, factor: int) -> Camera:
    """`camera` for an image `factor` times smaller on each side (remainder pixels dropped)."""
    K = camera.K.clone()
    K[:2, :] /= factor
    return replace(camera, K=K, width=camera.width // factor, height=camera.height // factor)


def coarse_photo(target: Tensor, mask: Tensor | None, factor: int) -> tuple[Tensor, Tensor | None]:
    """The target [H, W, 3] averaged over `factor` x `factor` blocks; a block is kept only where every pixel is."""
    h, w = target.shape[0] // factor, target.shape[1] // factor
    blocks = target[: h * factor, : w * factor].reshape(h, factor, w, factor, -1)
    pooled = blocks.mean(dim=(1, 3))
    if mask is None:
        return pooled, None
    return pooled, mask[: h * factor, : w * factor].reshape(h, factor, w, factor).all(dim=3).all(dim=1)
