"""Analytic primitives for the ray caster: floor, backdrop, boxes, spheres and upright cylinders.

Each primitive answers two vectorised questions: how far along each ray it is hit (`intersect`, inf on a
miss; rays start at one camera centre) and what the surface looks like at given hit points (`surface`:
outward normal and albedo from its texture). All arrays are float32 except where noted.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from spaceport_app.demo.textures import Texture

EPS = 1e-5
INF = np.float32(np.inf)


class Primitive(ABC):
    """A textured surface that rays can hit."""

    @property
    def hull(self) -> np.ndarray | None:
        """Corners [8, 3] of a box enclosing the primitive, to skip rays that cannot hit; None = unbounded."""
        return None

    @abstractmethod
    def intersect(self, origin: np.ndarray, dirs: np.ndarray) -> np.ndarray:
        """Distances along unit rays dirs [N, 3] from origin [3] to the first hit: [N], inf on a miss."""

    @abstractmethod
    def surface(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Unit normals [M, 3] and albedo in [0, 1] [M, 3] at hit points [M, 3]."""


def _box_corners(centre: np.ndarray, half: np.ndarray, rotation: np.ndarray | None = None) -> np.ndarray:
    """The 8 corners [8, 3] of a box with half extents `half` [3], turned by `rotation` [3, 3]."""
    signs = np.array(np.meshgrid([-1, 1], [-1, 1], [-1, 1])).reshape(3, -1).T  # [8, 3]
    local = signs * half
    return centre + (local if rotation is None else local @ rotation.T)


def rows_times(rows: np.ndarray, m: np.ndarray) -> np.ndarray:
    """`rows @ m` for rows [N, 3] and m [3, K] written elementwise, so that a ray's result does not depend
    on which other rays share the call (BLAS may round differently for other shapes): [N, K]."""
    m = m.astype(np.float32).reshape(3, -1)
    return rows[:, 0:1] * m[0] + rows[:, 1:2] * m[1] + rows[:, 2:3] * m[2]


def _quadratic_roots(a: np.ndarray, b: np.ndarray, c: np.ndarray | np.floating) -> tuple[np.ndarray, np.ndarray]:
    """Both roots of a t^2 + b t + c = 0 (near, far): [N] each, nan where there is none."""
    disc = b * b - 4.0 * a * c
    root = np.sqrt(np.where(disc >= 0, disc, np.nan))
    return (-b - root) / (2.0 * a), (-b + root) / (2.0 * a)


@dataclass(frozen=True)
class Floor(Primitive):
    """The plane z = 0 inside a disc of radius `radius` around the origin."""

    radius: float
    texture: Texture

    def intersect(self, origin: np.ndarray, dirs: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            t = -origin[2] / dirs[:, 2]
        x = origin[0] + t * dirs[:, 0]
        y = origin[1] + t * dirs[:, 1]
        return np.where((t > EPS) & (x * x + y * y <= self.radius**2), t, INF)

    def surface(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        normals = np.broadcast_to(np.array([0, 0, 1], np.float32), points.shape)
        uv = points[:, :2] / (2.0 * self.radius) + 0.5
        return normals, self.texture.sample(uv)


@dataclass(frozen=True)
class Backdrop(Primitive):
    """The inside of an upright cylinder around the whole scene (seen from within)."""

    radius: float
    height: float
    texture: Texture

    def intersect(self, origin: np.ndarray, dirs: np.ndarray) -> np.ndarray:
        a = dirs[:, 0] ** 2 + dirs[:, 1] ** 2
        b = 2.0 * (origin[0] * dirs[:, 0] + origin[1] * dirs[:, 1])
        c = np.float32(origin[0] ** 2 + origin[1] ** 2 - self.radius**2)
        with np.errstate(divide="ignore", invalid="ignore"):
            _, t = _quadratic_roots(a, b, c)
        z = origin[2] + t * dirs[:, 2]
        return np.where((t > EPS) & (z >= 0) & (z <= self.height), t, INF)

    def surface(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        normals = np.zeros_like(points)
        normals[:, :2] = -points[:, :2] / self.radius
        u = np.arctan2(points[:, 1], points[:, 0]) / (2 * math.pi) + 0.5
        v = 1.0 - points[:, 2] / self.height
        return normals, self.texture.sample(np.stack([u, v], axis=1))


@dataclass(frozen=True)
class Sphere(Primitive):
    """A sphere; its texture is wrapped by longitude and latitude in a randomly turned frame."""

    centre: np.ndarray  # [3]
    radius: float
    frame: np.ndarray  # [3, 3] rotation applied before computing longitude and latitude
    texture: Texture

    @property
    def hull(self) -> np.ndarray:
        return _box_corners(self.centre, np.full(3, self.radius))

    def intersect(self, origin: np.ndarray, dirs: np.ndarray) -> np.ndarray:
        oc = (origin - self.centre).astype(np.float32)
        b = 2.0 * rows_times(dirs, oc)[:, 0]
        c = np.float32(oc @ oc - self.radius**2)
        near, _ = _quadratic_roots(np.ones_like(b), b, c)
        return np.where(near > EPS, near, INF)

    def surface(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        normals = ((points - self.centre) / self.radius).astype(np.float32)
        n = rows_times(normals, self.frame)
        u = np.arctan2(n[:, 1], n[:, 0]) / (2 * math.pi) + 0.5
        v = np.arccos(np.clip(n[:, 2], -1.0, 1.0)) / math.pi
        return normals, self.texture.sample(np.stack([u, v], axis=1))


@dataclass(frozen=True)
class Box(Primitive):
    """A box turned by `yaw` about the vertical; each of its faces shows its own tile of a 3x2 atlas."""

    centre: np.ndarray  # [3]
    half: np.ndarray  # [3] half extents along its local axes
    yaw: float
    texture: Texture

    @property
    def rotation(self) -> np.ndarray:
        """Local-to-world rotation: [3, 3]."""
        c, s = math.cos(self.yaw), math.sin(self.yaw)
        return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]], np.float32)

    @property
    def hull(self) -> np.ndarray:
        return _box_corners(self.centre, self.half, self.rotation)

    def intersect(self, origin: np.ndarray, dirs: np.ndarray) -> np.ndarray:
        rot = self.rotation
        o = (rot.T @ (origin - self.centre)).astype(np.float32)  # [3]
        d = rows_times(dirs, rot)  # [N, 3] in box coordinates
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.0 / d
            t1 = (-self.half.astype(np.float32) - o) * inv
            t2 = (self.half.astype(np.float32) - o) * inv
        lo, hi = np.minimum(t1, t2), np.maximum(t1, t2)  # [N, 3]; reductions over 3 columns are slow
        near = np.maximum(np.maximum(lo[:, 0], lo[:, 1]), lo[:, 2])
        far = np.minimum(np.minimum(hi[:, 0], hi[:, 1]), hi[:, 2])
        return np.where((near <= far) & (near > EPS), near, INF)

    def surface(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rot = self.rotation
        local = rows_times(points - self.centre, rot) / self.half.astype(np.float32)  # [M, 3] in [-1, 1]
        axis = np.argmax(np.abs(local), axis=1)  # [M]
        rows = np.arange(len(points))
        sign = np.sign(local[rows, axis])
        normals_local = np.zeros_like(local)
        normals_local[rows, axis] = sign
        face = 2 * axis + (sign > 0)  # [M] in 0..5
        a = local[rows, (axis + 1) % 3] * 0.5 + 0.5
        b = local[rows, (axis + 2) % 3] * 0.5 + 0.5
        uv = np.stack([(face % 3 + a) / 3.0, (face // 3 + b) / 2.0], axis=1)
        return rows_times(normals_local, rot.T), self.texture.sample(uv)


@dataclass(frozen=True)
class Cylinder(Primitive):
    """An upright cylinder standing at `base` [3] with a textured side and a textured top cap."""

    base: np.ndarray  # [3]
    radius: float
    height: float
    side: Texture
    cap: Texture

    @property
    def hull(self) -> np.ndarray:
        half = np.array([self.radius, self.radius, self.height / 2])
        return _box_corners(self.base + np.array([0, 0, self.height / 2]), half)

    def intersect(self, origin: np.ndarray, dirs: np.ndarray) -> np.ndarray:
        ox, oy = origin[0] - self.base[0], origin[1] - self.base[1]
        a = dirs[:, 0] ** 2 + dirs[:, 1] ** 2
        b = 2.0 * (ox * dirs[:, 0] + oy * dirs[:, 1])
        with np.errstate(divide="ignore", invalid="ignore"):
            near, _ = _quadratic_roots(a, b, np.float32(ox * ox + oy * oy - self.radius**2))
            z = origin[2] + near * dirs[:, 2] - self.base[2]
            side = np.where((near > EPS) & (z >= 0) & (z <= self.height), near, INF)
            t_cap = (self.base[2] + self.height - origin[2]) / dirs[:, 2]
            cx, cy = ox + t_cap * dirs[:, 0], oy + t_cap * dirs[:, 1]
            cap = np.where((t_cap > EPS) & (cx * cx + cy * cy <= self.radius**2), t_cap, INF)
        return np.minimum(side, cap).astype(np.float32)

    def surface(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rel = (points - self.base).astype(np.float32)
        radial = np.hypot(rel[:, 0], rel[:, 1])
        on_cap = np.abs(rel[:, 2] - self.height) < np.abs(radial - self.radius)
        normals = np.zeros_like(rel)
        normals[:, :2] = rel[:, :2] / np.maximum(radial, 1e-6)[:, None]
        normals[on_cap] = (0.0, 0.0, 1.0)
        u_side = np.arctan2(rel[:, 1], rel[:, 0]) / (2 * math.pi) + 0.5
        side_uv = np.stack([u_side, 1.0 - rel[:, 2] / self.height], axis=1)
        cap_uv = rel[:, :2] / (2.0 * self.radius) + 0.5
        albedo = np.where(on_cap[:, None], self.cap.sample(cap_uv), self.side.sample(side_uv))
        return normals, albedo
