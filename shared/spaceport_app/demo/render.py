"""A vectorised numpy ray caster: one ray per (sub)pixel against every primitive, Lambert + ambient shading.

Bounded primitives are tested only on the rays inside the image rectangle of their enclosing box,
which keeps a 640x480 view with 2x2 supersampling to a fraction of a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spaceport_app.demo.camera import Intrinsics, Pose
from spaceport_app.demo.primitives import rows_times
from spaceport_app.demo.world import World

SKY = np.array([0.62, 0.72, 0.85], np.float32)
EDGE_SAMPLES = 48


@dataclass(frozen=True)
class Render:
    """One rendered view at the output resolution."""

    rgb: np.ndarray  # [H, W, 3] uint8, the mean of each pixel's s x s subpixel samples
    depth: np.ndarray  # [H*s, W*s] float32, distance along each subpixel's ray (inf = sky)
    ids: np.ndarray  # [H*s, W*s] int16, index into world.primitives per subpixel (-1 = sky)
    supersample: int  # s; subpixel (i, j) is centred at pixel coordinates ((j + 0.5) / s, (i + 0.5) / s)


def _window(hull: np.ndarray, cam: Intrinsics, pose: Pose, s: int) -> tuple[slice, slice] | None:
    """Rows and columns (in subpixels) that can see anything inside `hull` (corners [8, 3]);
    None when it is out of view."""
    corners = pose.to_camera(np.asarray(hull, np.float64))  # [8, 3]
    if corners[:, 2].min() < 0.05:  # reaches behind the camera: no tight bound, test every ray
        return slice(0, cam.height * s), slice(0, cam.width * s)
    xy = corners[:, :2] / corners[:, 2:3]
    image = cam.undistort(np.array([[-cam.cx, -cam.cy], [cam.width - cam.cx, cam.height - cam.cy]]) / cam.f)
    lo = np.maximum(xy.min(axis=0), image[0] * 1.05)
    hi = np.minimum(xy.max(axis=0), image[1] * 1.05)
    if np.any(lo >= hi):
        return None
    # the distorted image of the rectangle [lo, hi] is bounded by the distorted image of its outline
    g = np.linspace(0.0, 1.0, EDGE_SAMPLES)[:, None]
    span_x, span_y = np.array([hi[0] - lo[0], 0.0]), np.array([0.0, hi[1] - lo[1]])
    outline = np.concatenate([lo + g * span_x, lo + g * span_y, hi - g * span_x, hi - g * span_y])
    px = (cam.distort(outline) * cam.f + [cam.cx, cam.cy]) * s
    x0, y0 = np.floor(px.min(axis=0)).astype(int) - 2 * s
    x1, y1 = np.ceil(px.max(axis=0)).astype(int) + 2 * s
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, cam.width * s), min(y1, cam.height * s)
    if x0 >= x1 or y0 >= y1:
        return None
    return slice(y0, y1), slice(x0, x1)


def _cast(
    world: World, origin: np.ndarray, dirs: np.ndarray, cam: Intrinsics, pose: Pose, s: int
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest hit per subpixel: distances [Hs, Ws] and primitive indices [Hs, Ws]."""
    hs, ws = dirs.shape[:2]
    depth = np.full((hs, ws), np.inf, np.float32)
    ids = np.full((hs, ws), -1, np.int16)
    for index, prim in enumerate(world.primitives):
        hull = prim.hull
        window = (slice(0, hs), slice(0, ws)) if hull is None else _window(hull, cam, pose, s)
        if window is None:
            continue
        sub = dirs[window]
        t = prim.intersect(origin, sub.reshape(-1, 3)).reshape(sub.shape[:2])
        closer = t < depth[window]
        depth[window] = np.where(closer, t, depth[window])
        ids[window] = np.where(closer, np.int16(index), ids[window])
    return depth, ids


def _shade(world: World, origin: np.ndarray, dirs: np.ndarray, depth: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Lambert + ambient colour of every subpixel: [Hs, Ws, 3] float32 in [0, 1]."""
    flat_ids = ids.reshape(-1) + 1  # 0 = sky
    order = np.argsort(flat_ids, kind="stable")
    ends = np.cumsum(np.bincount(flat_ids, minlength=len(world.primitives) + 1))
    flat_dirs, flat_depth = dirs.reshape(-1, 3), depth.reshape(-1)
    rgb = np.empty_like(flat_dirs)
    rgb[order[: ends[0]]] = SKY
    sun = world.light.direction.astype(np.float32)
    for index, prim in enumerate(world.primitives):
        rows = order[ends[index] : ends[index + 1]]
        if rows.size == 0:
            continue
        # np.take is several times faster than fancy indexing for row gathers
        points = origin + np.take(flat_depth, rows)[:, None] * np.take(flat_dirs, rows, axis=0)
        normals, albedo = prim.surface(points)
        lambert = np.maximum(rows_times(normals, sun)[:, 0], 0.0)
        rgb[rows] = albedo * (world.light.ambient + world.light.diffuse * lambert)[:, None]
    return rgb.reshape(dirs.shape)


def render_view(
    world: World, cam: Intrinsics, pose: Pose, supersample: int = 2, rays: np.ndarray | None = None
) -> Render:
    """Render one view; `rays` may pass `cam.pixel_rays(supersample)` precomputed for many views."""
    s = supersample
    cam_rays = cam.pixel_rays(s).astype(np.float32) if rays is None else rays  # [Hs, Ws, 3]
    dirs = rows_times(cam_rays.reshape(-1, 3), pose.R).reshape(cam_rays.shape)  # world frame: R^T d per row
    origin = pose.centre.astype(np.float32)
    depth, ids = _cast(world, origin, dirs, cam, pose, s)
    rgb = _shade(world, origin, dirs, depth, ids)
    h, w = cam.height, cam.width
    blocks = rgb.reshape(h, s, w, s, 3)
    pooled = sum(blocks[:, i, :, j] for i in range(s) for j in range(s)) / np.float32(s * s)  # [H, W, 3]
    image = np.clip(np.round(pooled * 255.0), 0, 255).astype(np.uint8)
    return Render(rgb=image, depth=depth, ids=ids, supersample=s)
