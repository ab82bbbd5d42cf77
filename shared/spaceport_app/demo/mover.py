"""An object that moves between photos (a passer-by, a car) and the masks that hide it.

A `Mover` is a textured ball that stands still at one spot for a run of consecutive views, then moves to the next
spot: seen from several views at each spot, it is consistent enough for SfM to triangulate points on it and for
training to grow splats there, unless masks hide it. Its mask ignores every pixel any of its subpixel rays hits,
grown by `margin_px` (masks drawn by people or segmenters are generous).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from spaceport_app.demo.primitives import Sphere
from spaceport_app.demo.render import Render
from spaceport_app.demo.textures import make_texture
from spaceport_app.demo.world import TEXELS_PER_METRE, World

CLEARANCE_M = 0.15


@dataclass(frozen=True)
class Mover:
    """A ball of `radius` metres that visits `stops` free spots of the stage, one run of views at each."""

    radius: float = 0.35
    stops: int = 2
    spot_radius: float = 1.3  # how far from the stage centre its spots may be
    margin_px: int = 2

    def stop_of(self, view: int, views: int) -> int:
        """Which spot the mover stands at in view number `view` of `views`."""
        return min(view * self.stops // views, self.stops - 1)


@dataclass(frozen=True)
class MoverSpot:
    """Where the mover stands for some views: its centre (world, metres), radius and the views that see it there."""

    centre: tuple[float, float, float]
    radius: float
    views: tuple[str, ...]


def _footprints(world: World) -> list[tuple[float, float, float]]:
    """(x, y, radius) on the floor of every bounded primitive of `world`."""
    found = []
    for prim in world.primitives:
        hull = prim.hull
        if hull is None:
            continue
        centre = hull.mean(axis=0)
        found.append(
            (float(centre[0]), float(centre[1]), float(np.linalg.norm(hull[:, :2] - centre[:2], axis=1).max()))
        )
    return found


def mover_spheres(world: World, mover: Mover, seed: int) -> list[Sphere]:
    """One textured sphere per spot, each on the floor, clear of the world's objects and of each other."""
    rng = np.random.default_rng([seed, 0x30FE])
    taken = _footprints(world)
    spheres: list[Sphere] = []
    texture_px = int(2 * math.pi * mover.radius * TEXELS_PER_METRE)
    texture = make_texture(rng, texture_px, texture_px // 2, "checker", 0.1 * TEXELS_PER_METRE)
    for _ in range(2000):
        if len(spheres) == mover.stops:
            return spheres
        r, a = mover.spot_radius * math.sqrt(rng.uniform()), rng.uniform(0, 2 * math.pi)
        x, y = r * math.cos(a), r * math.sin(a)
        if all(math.hypot(x - tx, y - ty) > mover.radius + tr + CLEARANCE_M for tx, ty, tr in taken):
            taken.append((x, y, mover.radius))
            centre = np.array([x, y, mover.radius], np.float32)
            spheres.append(Sphere(centre, mover.radius, np.eye(3, dtype=np.float32), texture))
    raise RuntimeError(f"could not place {mover.stops} spots of radius {mover.radius} m on the stage")


def mover_mask(render: Render, mover_index: int, margin_px: int) -> np.ndarray:
    """Keep-mask [H, W] bool of a render: False wherever a subpixel hit primitive `mover_index`, grown."""
    s = render.supersample
    hit = render.ids == mover_index  # [Hs, Ws]
    h, w = hit.shape[0] // s, hit.shape[1] // s
    covered = hit.reshape(h, s, w, s).any(axis=(1, 3))
    if margin_px > 0:
        grown = Image.fromarray(covered.astype(np.uint8) * 255).filter(ImageFilter.MaxFilter(2 * margin_px + 1))
        covered = np.asarray(grown) > 0
    return ~covered
