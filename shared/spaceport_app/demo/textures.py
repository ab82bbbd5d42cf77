"""Procedural textures rich in SIFT features: multi-scale noise, blobs, checkers, bricks and script.

Every texture is unique (its own random stream), so nothing in the scene repeats exactly, which keeps
feature matching unambiguous. Drawing uses Pillow, so the same seed gives the same pixels.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw

Style = Literal["blobs", "checker", "bricks", "script", "stone"]


@dataclass(frozen=True)
class Texture:
    """An RGB image on the unit square, sampled bilinearly with wrap-around."""

    pixels: np.ndarray  # [H, W, 3] uint8

    @cached_property
    def packed(self) -> np.ndarray:
        """The pixels as little-endian RGBX uint32s, with the first row and column repeated after the
        last ones so that bilinear neighbours need no wrap-around: [(H + 1) * (W + 1)]."""
        h, w = self.pixels.shape[:2]
        rgbx = np.zeros((h + 1, w + 1, 4), np.uint8)
        rgbx[:h, :w, :3] = self.pixels
        rgbx[h, :w, :3] = self.pixels[0]
        rgbx[:, w] = rgbx[:, 0]
        return rgbx.view(np.uint32).reshape(-1)

    def _gather(self, index: np.ndarray) -> np.ndarray:
        """Colours 0-255 of flat indices into `packed` [N]: [N, 4] float32 (the 4th is padding)."""
        return np.take(self.packed, index).view(np.uint8).reshape(-1, 4).astype(np.float32)

    def sample(self, uv: np.ndarray) -> np.ndarray:
        """Colours in [0, 1] at texture coordinates uv [N, 2] (u across, v down): [N, 3] float32."""
        h, w = self.pixels.shape[:2]
        x = uv[:, 0].astype(np.float32) * w - 0.5
        y = uv[:, 1].astype(np.float32) * h - 0.5
        x -= w * np.floor(x / w)  # wrap into [0, w] in floats: integer modulo is ten times slower
        y -= h * np.floor(y / h)
        x0, y0 = np.minimum(np.floor(x), w - 1), np.minimum(np.floor(y), h - 1)
        fx, fy = (x - x0)[:, None], (y - y0)[:, None]
        index = y0.astype(np.int32) * (w + 1) + x0.astype(np.int32)  # [N] top-left neighbour in `packed`
        a, b = self._gather(index), self._gather(index + 1)
        c, d = self._gather(index + (w + 1)), self._gather(index + (w + 2))
        top = a + (b - a) * fx
        bottom = c + (d - c) * fx
        return (top + (bottom - top) * fy)[:, :3] * np.float32(1.0 / 255.0)


def _colour(rng: np.random.Generator, value: tuple[float, float] = (0.15, 0.95)) -> tuple[int, int, int]:
    """A random, moderately saturated colour with a brightness drawn from `value`."""
    r, g, b = colorsys.hsv_to_rgb(rng.uniform(), rng.uniform(0.1, 0.7), rng.uniform(*value))
    return int(r * 255), int(g * 255), int(b * 255)


def _colours(rng: np.random.Generator, count: int) -> list[tuple[int, int, int]]:
    """`count` random colours like `_colour`'s, drawn at once."""
    h, sat, v = rng.uniform(0, 6, count), rng.uniform(0.1, 0.7, count), rng.uniform(0.15, 0.95, count)
    k = (np.array([5.0, 3.0, 1.0])[None, :] + h[:, None]) % 6  # [N, 3] HSV -> RGB, per channel
    rgb = v[:, None] - v[:, None] * sat[:, None] * np.clip(np.minimum(k, 4 - k), 0, 1)
    return [tuple(c) for c in (rgb * 255).astype(int).tolist()]


def fractal_noise(rng: np.random.Generator, width: int, height: int, octaves: int = 6) -> np.ndarray:
    """Sum of bicubically upsampled random grids, coarse to fine, in [0, 1]: [H, W] float32."""
    total = np.zeros((height, width), np.float32)
    amplitude, cells, norm = 1.0, 4, 0.0
    for _ in range(octaves):
        grid = rng.random((max(2, cells * height // width), cells), dtype=np.float32)
        layer = Image.fromarray(grid).resize((width, height), Image.Resampling.BICUBIC)
        total += amplitude * np.asarray(layer)
        norm += amplitude
        amplitude *= 0.6
        cells *= 2
        if cells > width // 2:
            break
    return np.clip(total / norm, 0.0, 1.0)


@dataclass(frozen=True)
class _Canvas:
    """What every drawing step needs: the drawing, its size, the random stream and the feature scale."""

    draw: ImageDraw.ImageDraw
    rng: np.random.Generator
    width: int
    height: int
    feature: float  # texels spanned by a typical feature (about 10 cm in the world)

    @property
    def features(self) -> float:
        """How many feature-sized cells the canvas holds."""
        return self.width * self.height / self.feature**2


def _draw_blobs(c: _Canvas, density: float) -> None:
    """Ellipses with log-uniform radii from 1.5 texels to one feature size, random colours."""
    count = int(density * c.features)
    radii = np.exp(c.rng.uniform(np.log(1.5), np.log(max(2.0, c.feature)), count))
    aspect = c.rng.uniform(0.4, 1.0, count)
    swap = c.rng.random(count) < 0.5
    rx, ry = np.where(swap, radii * aspect, radii), np.where(swap, radii, radii * aspect)
    centres = c.rng.uniform((0, 0), (c.width, c.height), (count, 2))
    colours = _colours(c.rng, count)
    for (x, y), a, b, colour in zip(centres, rx, ry, colours, strict=True):
        c.draw.ellipse((x - a, y - b, x + a, y + b), fill=colour)


def _draw_checker(c: _Canvas) -> None:
    """A checkerboard with irregular cell sizes and a random colour per cell."""
    xs = np.cumsum(c.rng.uniform(1.0, 3.0, int(c.width / c.feature) + 1) * c.feature)
    ys = np.cumsum(c.rng.uniform(1.0, 3.0, int(c.height / c.feature) + 1) * c.feature)
    for j, (y0, y1) in enumerate(zip(np.r_[0, ys], ys, strict=False)):
        for i, (x0, x1) in enumerate(zip(np.r_[0, xs], xs, strict=False)):
            dark = (0.1, 0.4) if (i + j) % 2 else (0.6, 1.0)
            c.draw.rectangle((x0, y0, x1, y1), fill=_colour(c.rng, dark))


def _draw_bricks(c: _Canvas) -> None:
    """Rows of bricks with random lengths and shades, and dark mortar lines."""
    c.draw.rectangle((0, 0, c.width, c.height), fill=_colour(c.rng, (0.1, 0.25)))
    base_h = c.rng.uniform(1.2, 2.0) * c.feature
    mortar = max(1.0, base_h / 12)
    y = 0.0
    while y < c.height:
        row_h = base_h * c.rng.uniform(0.8, 1.25)
        x = -c.rng.uniform(0, 2.5 * row_h)
        while x < c.width:
            length = row_h * c.rng.uniform(1.6, 3.4)
            box = (x + mortar, y + mortar, x + length - mortar, y + row_h - mortar)
            c.draw.rectangle(box, fill=_colour(c.rng, (0.45, 0.95)))
            x += length
        y += row_h


def _draw_script(c: _Canvas, density: float) -> None:
    """Blocks of text-like glyphs: each glyph is a few strokes between points of a 3x3 lattice."""
    for _ in range(max(1, int(density * c.features / 60))):
        glyph = c.rng.uniform(0.5, 1.2) * c.feature
        x0, y0 = c.rng.uniform(0, c.width * 0.9), c.rng.uniform(0, c.height * 0.9)
        lines, per_line = c.rng.integers(2, 7), c.rng.integers(5, 16)
        ink = _colour(c.rng, (0.0, 0.3)) if c.rng.random() < 0.7 else _colour(c.rng, (0.8, 1.0))
        width = max(1, round(glyph / 7))
        for row in range(lines):
            for col in range(per_line):
                ox, oy = x0 + col * glyph * 0.9, y0 + row * glyph * 1.5
                pts = c.rng.integers(0, 3, (c.rng.integers(2, 5), 2)) * glyph * 0.35
                c.draw.line([(ox + px, oy + py) for px, py in pts], fill=ink, width=width)


# per style: blobs per feature cell and script blocks per 60 feature cells
_DENSITY: dict[Style, tuple[float, float]] = {
    "blobs": (1.5, 0.3),
    "stone": (1.2, 0.2),
    "script": (0.4, 3.0),
    "checker": (0.3, 0.3),
    "bricks": (0.3, 0.3),
}


def make_texture(rng: np.random.Generator, width: int, height: int, style: Style, feature: float = 16.0) -> Texture:
    """A unique texture of the given style, overlaid with blobs and script and shaded by fractal noise.

    `feature` is the size in texels of the largest blobs, checker cells and glyphs (about 10 cm).
    """
    image = Image.new("RGB", (width, height), _colour(rng))
    canvas = _Canvas(ImageDraw.Draw(image), rng, width, height, feature)
    if style == "checker":
        _draw_checker(canvas)
    elif style == "bricks":
        _draw_bricks(canvas)
    blobs, script = _DENSITY[style]
    _draw_blobs(canvas, blobs)
    _draw_script(canvas, script)
    shade = 0.55 + 0.9 * fractal_noise(rng, width, height)  # [H, W]
    rgb = np.asarray(image, np.float32) * shade[..., None]
    return Texture(np.clip(rgb, 0, 255).astype(np.uint8))
