"""EWA projection of 3D Gaussians to the image, with lens distortion linearised at each mean (CPU path).

The mean goes through the exact lens model; the covariance through the Jacobian of
`pixel = K . distort(x/z, y/z)`, the same first-order approximation as classic EWA splatting.
"""

from dataclasses import dataclass

import torch
from torch import Tensor

from spaceport_splats.cameras import Camera, Lens

ALPHA_MIN = 1.0 / 255.0


@dataclass(frozen=True)
class Projected:
    """2D Gaussians of the splats in front of the camera (`ids` index the input splats)."""

    ids: Tensor  # [M] int64
    means2d: Tensor  # [M, 2] pixels
    conics: Tensor  # [M, 3] inverse 2D covariance (a, b, c)
    radii: Tensor  # [M] pixels
    depths: Tensor  # [M]


def quat_to_rotmat(quats: Tensor) -> Tensor:
    """Unit rotation matrices from (w, x, y, z) quaternions, normalised here."""  # [N, 4] -> [N, 3, 3]
    w, x, y, z = torch.nn.functional.normalize(quats, dim=-1).unbind(-1)
    rows = [
        1 - 2 * (y * y + z * z),
        2 * (x * y - w * z),
        2 * (x * z + w * y),
        2 * (x * y + w * z),
        1 - 2 * (x * x + z * z),
        2 * (y * z - w * x),
        2 * (x * z - w * y),
        2 * (y * z + w * x),
        1 - 2 * (x * x + y * y),
    ]
    return torch.stack(rows, dim=-1).reshape((*quats.shape[:-1], 3, 3))


def covariances(quats: Tensor, scales: Tensor) -> Tensor:
    """3D covariances R S S^T R^T."""  # [N, 4], [N, 3] -> [N, 3, 3]
    m = quat_to_rotmat(quats) * scales[:, None, :]
    return m @ m.transpose(-1, -2)


def distort(lens: Lens, xy: Tensor) -> tuple[Tensor, Tensor]:
    """Distorted normalised coordinates and their Jacobian."""  # [N, 2] -> [N, 2], [N, 2, 2]
    x, y = xy.unbind(-1)
    eye = torch.eye(2, dtype=xy.dtype, device=xy.device).expand(xy.shape[0], 2, 2)
    if not lens.distorted:
        return xy, eye
    r2 = x * x + y * y
    outer = xy[:, :, None] * xy[:, None, :]  # [N, 2, 2]
    if lens.projection == "fisheye":
        k1, k2, k3, k4 = (lens.radial + (0.0,) * 4)[:4]
        r = r2.clamp_min(1e-12).sqrt()
        th = torch.atan(r)
        t2 = th * th
        poly = 1 + t2 * (k1 + t2 * (k2 + t2 * (k3 + t2 * k4)))
        dpoly = 1 + t2 * (3 * k1 + t2 * (5 * k2 + t2 * (7 * k3 + t2 * 9 * k4)))  # d(th * poly)/d th
        s = th * poly / r
        ds_dr = (dpoly / (1 + r2) * r - th * poly) / r2.clamp_min(1e-12)
        jac = s[:, None, None] * eye + (ds_dr / r)[:, None, None] * outer
        return xy * s[:, None], jac
    k1, k2, k3, k4, k5, k6 = (lens.radial + (0.0,) * 6)[:6]
    p1, p2 = lens.tangential
    num = 1 + r2 * (k1 + r2 * (k2 + r2 * k3))
    den = 1 + r2 * (k4 + r2 * (k5 + r2 * k6))
    dnum = k1 + r2 * (2 * k2 + r2 * 3 * k3)
    dden = k4 + r2 * (2 * k5 + r2 * 3 * k6)
    radial = num / den
    dradial = (dnum * den - num * dden) / (den * den)  # d radial / d r2
    xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
    yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
    jac = radial[:, None, None] * eye + 2 * dradial[:, None, None] * outer
    tang = torch.stack(
        [2 * p1 * y + 6 * p2 * x, 2 * p1 * x + 2 * p2 * y, 2 * p1 * x + 2 * p2 * y, 6 * p1 * y + 2 * p2 * x],
        dim=-1,
    ).reshape(-1, 2, 2)
    return torch.stack([xd, yd], dim=-1), jac + tang


def _to_camera(means: Tensor, covars: Tensor, camera: Camera) -> tuple[Tensor, Tensor]:
    rot = camera.viewmat[:3, :3].to(means.dtype)
    t = camera.viewmat[:3, 3].to(means.dtype)
    return means @ rot.T + t, rot @ covars @ rot.T  # [N, 3], [N, 3, 3]


def project(
    means: Tensor,
    quats: Tensor,
    scales: Tensor,
    opacities: Tensor,
    camera: Camera,
    eps2d: float = 0.3,
    near: float = 0.01,
) -> Projected:
    """Project splats to `camera`; drops those behind it, too faint, off-image or in a lens fold."""
    K = camera.K.to(means.dtype)
    fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
    p_cam, cov_cam = _to_camera(means, covariances(quats, scales), camera)
    z = p_cam[:, 2]
    zs = z.clamp_min(near)
    xy = p_cam[:, :2] / zs[:, None]  # [N, 2]
    lim = torch.stack([1.3 * 0.5 * camera.width / fx, 1.3 * 0.5 * camera.height / fy])
    xy_c = torch.maximum(torch.minimum(xy, lim), -lim)
    jp = torch.zeros(means.shape[0], 2, 3, dtype=means.dtype, device=means.device)
    jp[:, 0, 0] = 1 / zs
    jp[:, 1, 1] = 1 / zs
    jp[:, :, 2] = -xy_c / zs[:, None]
    xy_d, _ = distort(camera.lens, xy)
    _, jd_c = distort(camera.lens, xy_c)
    jac = torch.stack([fx * jd_c[:, 0], fy * jd_c[:, 1]], dim=1) @ jp  # [N, 2, 3]
    cov2d = jac @ cov_cam @ jac.transpose(-1, -2) + eps2d * torch.eye(2, dtype=means.dtype, device=means.device)
    a, b, c = cov2d[:, 0, 0], cov2d[:, 0, 1], cov2d[:, 1, 1]
    det = (a * c - b * b).clamp_min(1e-12)
    means2d = torch.stack([fx * xy_d[:, 0] + cx, fy * xy_d[:, 1] + cy], dim=-1)
    with torch.no_grad():
        lam = 0.5 * (a + c) + torch.sqrt((0.25 * (a - c) ** 2 + b * b).clamp_min(0))
        extent = torch.sqrt(2 * torch.log((opacities / ALPHA_MIN).clamp_min(1.0))).clamp_max(3.0)
        radii = torch.ceil(extent * lam.sqrt())
        keep = (z > near) & (radii > 0) & (opacities >= ALPHA_MIN)
        keep &= (means2d[:, 0] + radii > 0) & (means2d[:, 0] - radii < camera.width)
        keep &= (means2d[:, 1] + radii > 0) & (means2d[:, 1] - radii < camera.height)
        if camera.lens.distorted:
            keep &= (xy.abs() <= lim).all(dim=-1)
        ids = keep.nonzero(as_tuple=True)[0]
    conics = torch.stack([c, -b, a], dim=-1) / det[:, None]
    return Projected(ids=ids, means2d=means2d[ids], conics=conics[ids], radii=radii[ids], depths=z[ids])
