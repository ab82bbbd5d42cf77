"""The CUDA backend of `render()`: gsplat 1.5.3, through its 3DGUT path for distorted lenses.

Distorted cameras are rendered with the unscented transform and 3D evaluation (`with_ut`,
`with_eval3d`), so training runs on the original photos; undistorted pinholes use the classic EWA path.
"""

import torch
from torch import Tensor

from spaceport_splats.cameras import Camera

Splats = dict[str, Tensor]


def lens_kwargs(camera: Camera, device: torch.device) -> dict[str, object]:
    """gsplat arguments for the camera's lens."""
    lens = camera.lens
    if not lens.distorted:
        return {"camera_model": "pinhole"}
    coeffs = camera.coeffs
    if coeffs is None or coeffs[0].device != device:
        coeffs = camera.to(device).coeffs
    assert coeffs is not None  # Camera.to always sets them
    radial, tangential = coeffs
    kwargs: dict[str, object] = {
        "camera_model": lens.projection,
        "with_ut": True,
        "with_eval3d": True,
        "radial_coeffs": radial[None],  # [1, 6] or [1, 4]
    }
    if lens.projection == "pinhole":
        kwargs["tangential_coeffs"] = tangential[None]  # [1, 2]
    return kwargs


def render_gsplat(splats: Splats, camera: Camera, sh_degree: int) -> tuple[Tensor, Tensor, Tensor]:
    """Image [H, W, 3], alpha [H, W, 1] and radii [N, 2] (0 where a splat was not drawn)."""
    from gsplat import rasterization

    means = splats["means"]
    colors = torch.cat([splats["sh0"], splats["shN"]], dim=1)  # [N, K, 3]
    image, alpha, meta = rasterization(
        means=means,
        quats=splats["quats"],
        scales=torch.exp(splats["scales"]),
        opacities=torch.sigmoid(splats["opacities"]),
        colors=colors,
        viewmats=camera.viewmat[None],
        Ks=camera.K[None],
        width=camera.width,
        height=camera.height,
        sh_degree=sh_degree,
        packed=False,
        **lens_kwargs(camera, means.device),
    )
    return image[0], alpha[0], meta["radii"][0]
