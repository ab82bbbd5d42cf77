"""The demo world: a textured floor inside a textured backdrop, with boxes, spheres and cylinders.

Everything is drawn from one random stream, so a seed fixes the layout and every texture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from spaceport_app.demo.primitives import Backdrop, Box, Cylinder, Floor, Primitive, Sphere
from spaceport_app.demo.textures import Style, Texture, make_texture

TEXELS_PER_METRE = 160  # objects; about one texel per pixel at 3 m with a 640-pixel-wide phone camera
FEATURE_METRES = 0.1  # the largest blobs, glyphs and checker cells
STYLES: tuple[Style, ...] = ("blobs", "checker", "bricks", "script", "stone")


@dataclass(frozen=True)
class Light:
    """A fixed sun plus ambient light: `albedo * (ambient + diffuse * max(0, n . direction))`."""

    direction: np.ndarray = field(default_factory=lambda: _unit(np.array([-0.45, -0.3, 0.84])))  # towards sun
    ambient: float = 0.4
    diffuse: float = 0.7


@dataclass(frozen=True)
class WorldLayout:
    """Sizes of the stage: where objects may stand and how far the floor and backdrop reach."""

    stage_radius: float = 1.7
    backdrop_radius: float = 9.0
    backdrop_height: float = 4.0
    floor_texels: int = 2048
    boxes: int = 3
    spheres: int = 2
    cylinders: int = 2


@dataclass(frozen=True)
class World:
    """Everything the renderer needs: the primitives and the light."""

    primitives: tuple[Primitive, ...]
    light: Light
    layout: WorldLayout

    def with_objects(self, extra: tuple[Primitive, ...]) -> World:
        """This world with more primitives (e.g. markers for tests)."""
        return World(self.primitives + extra, self.light, self.layout)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


Footprints = list[tuple[float, float, float]]  # (x, y, radius) of what already stands on the floor


def _place(rng: np.random.Generator, taken: Footprints, radius: float, stage: float) -> tuple[float, float]:
    """A floor position (x, y) for a footprint of `radius` that keeps 0.15 m clear of the others."""
    for _ in range(500):
        r, a = stage * math.sqrt(rng.uniform()), rng.uniform(0, 2 * math.pi)
        x, y = r * math.cos(a), r * math.sin(a)
        if all(math.hypot(x - tx, y - ty) > radius + tr + 0.15 for tx, ty, tr in taken):
            taken.append((x, y, radius))
            return x, y
    raise RuntimeError(f"could not place an object of radius {radius:.2f} m on a {stage:.1f} m stage")


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    """A uniformly random rotation: [3, 3] float32."""
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return (q if np.linalg.det(q) > 0 else -q).astype(np.float32)


def _texture(rng: np.random.Generator, width_m: float, height_m: float) -> Texture:
    """A texture of a random style for a surface of the given size, at the objects' texel density."""
    style = STYLES[int(rng.integers(len(STYLES)))]
    w = int(np.clip(width_m * TEXELS_PER_METRE, 64, 2048))
    h = int(np.clip(height_m * TEXELS_PER_METRE, 64, 2048))
    return make_texture(rng, w, h, style, feature=FEATURE_METRES * TEXELS_PER_METRE)


def _boxes(rng: np.random.Generator, taken: Footprints, layout: WorldLayout) -> list[Box]:
    """Boxes standing on the floor, each turned at random."""
    boxes = []
    for _ in range(layout.boxes):
        half = rng.uniform((0.18, 0.18, 0.15), (0.45, 0.45, 0.5)).astype(np.float32)
        x, y = _place(rng, taken, float(np.hypot(half[0], half[1])), layout.stage_radius)
        edge = 2 * float(half.max())
        centre = np.array([x, y, half[2]], np.float32)
        boxes.append(Box(centre, half, rng.uniform(0, math.pi), _texture(rng, 3 * edge, 2 * edge)))
    return boxes


def _spheres(rng: np.random.Generator, taken: Footprints, layout: WorldLayout, boxes: list[Box]) -> list[Sphere]:
    """Spheres on the floor, the first one resting on top of the first box."""
    spheres = []
    for i in range(layout.spheres):
        r = float(rng.uniform(0.2, 0.4))
        if i == 0 and boxes:
            top = boxes[0]
            r = float(min(r, top.half[0], top.half[1]))
            centre = top.centre + np.array([0, 0, top.half[2] + r], np.float32)
        else:
            x, y = _place(rng, taken, r, layout.stage_radius)
            centre = np.array([x, y, r], np.float32)
        frame = _random_rotation(rng)
        spheres.append(Sphere(centre, r, frame, _texture(rng, 2 * math.pi * r, math.pi * r)))
    return spheres


def _cylinders(rng: np.random.Generator, taken: Footprints, layout: WorldLayout) -> list[Cylinder]:
    """Upright cylinders standing on the floor."""
    cylinders = []
    for _ in range(layout.cylinders):
        r, h = float(rng.uniform(0.12, 0.3)), float(rng.uniform(0.5, 1.3))
        x, y = _place(rng, taken, r, layout.stage_radius)
        side, cap = _texture(rng, 2 * math.pi * r, h), _texture(rng, 2 * r, 2 * r)
        cylinders.append(Cylinder(np.array([x, y, 0.0], np.float32), r, h, side, cap))
    return cylinders


def build_world(seed: int, layout: WorldLayout | None = None) -> World:
    """The demo world for a seed: same seed, same layout and textures."""
    lay = layout or WorldLayout()
    rng = np.random.default_rng([seed, 0x5EED])
    texels = lay.floor_texels / (2 * lay.backdrop_radius)  # per metre, on the floor and the backdrop
    feature = FEATURE_METRES * texels
    floor = Floor(lay.backdrop_radius, make_texture(rng, lay.floor_texels, lay.floor_texels, "stone", feature))
    circumference = 2 * math.pi * lay.backdrop_radius
    backdrop_tex = make_texture(
        rng, int(circumference * texels), int(lay.backdrop_height * texels), "bricks", 2 * feature
    )
    backdrop = Backdrop(lay.backdrop_radius, lay.backdrop_height, backdrop_tex)
    taken: Footprints = []
    boxes = _boxes(rng, taken, lay)
    objects = (*boxes, *_spheres(rng, taken, lay, boxes), *_cylinders(rng, taken, lay))
    return World((floor, backdrop, *objects), Light(), lay)
