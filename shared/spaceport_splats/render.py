"""One `render()` for both backends: gsplat on CUDA, our own rasterizer on CPU.

Splat parameters are raw (log-scales, logit opacities, unnormalised wxyz quaternions, SH coefficients);
activation happens here. gsplat is imported and called only for tensors on a CUDA device.
"""

from dataclasses import dataclass

import torch
from torch import Tensor

from spaceport_splats.cameras import Camera
from spaceport_splats.projection import project
from spaceport_splats.raster_torch import rasterize
from spaceport_splats.sh import sh_to_color

Splats = dict[str, Tensor]
"""means [N, 3], scales [N, 3] (log), quats [N, 4] (wxyz), opacities [N] (logit), sh0 [N, 1, 3],
shN [N, K-1, 3]"""


@dataclass(frozen=True)
class RenderOutput:
    """A rendered view."""

    image: Tensor  # [H, W, 3]
    alpha: Tensor  # [H, W, 1]
    radii: Tensor  # [N] or [N, 2] pixel radii, 0 for splats that did not reach the image

    @property
    def visible(self) -> int:
        """How many splats reached the image (a device sync on CUDA)."""
        r = self.radii if self.radii.dim() == 1 else self.radii.amax(dim=-1)
        return int((r > 0).sum())


def pick_device(choice: str) -> torch.device:
    """CUDA when asked for or available (auto), else CPU."""
    if choice == "cuda" or (choice == "auto" and torch.cuda.is_available()):
        return torch.device("cuda")
    return torch.device("cpu")


def sh_coeffs(splats: Splats) -> Tensor:
    """All SH coefficients."""  # [N, K, 3]
    return torch.cat([splats["sh0"], splats["shN"]], dim=1)


def render(splats: Splats, camera: Camera, sh_degree: int, background: Tensor | None = None) -> RenderOutput:
    """Render `splats` from `camera` with SH up to `sh_degree`; gsplat on CUDA, ours elsewhere."""
    if splats["means"].is_cuda:
        from spaceport_splats.raster_gsplat import render_gsplat

        image, alpha, radii = render_gsplat(splats, camera, sh_degree)
    else:
        image, alpha, radii = render_torch(splats, camera, sh_degree)
    if background is not None:
        image = image + (1.0 - alpha) * background
    return RenderOutput(image=image, alpha=alpha, radii=radii)


def render_torch(splats: Splats, camera: Camera, sh_degree: int) -> tuple[Tensor, Tensor, Tensor]:
    """The CPU backend: project, colour by SH, rasterize."""
    means = splats["means"]
    opacities = torch.sigmoid(splats["opacities"])
    scales = torch.exp(splats["scales"])
    proj = project(means, splats["quats"], scales, opacities, camera)
    ids = proj.ids
    center = camera.center.to(means.dtype)
    dirs = torch.nn.functional.normalize(means[ids] - center, dim=-1)
    colors = sh_to_color(sh_degree, dirs, sh_coeffs(splats)[ids])  # [M, 3]
    image, alpha = rasterize(
        proj.means2d, proj.conics, colors, opacities[ids], proj.depths.detach(), camera.width, camera.height
    )
    radii = torch.zeros(len(means), dtype=proj.radii.dtype, device=means.device).index_copy(0, ids, proj.radii)
    return image, alpha, radii
