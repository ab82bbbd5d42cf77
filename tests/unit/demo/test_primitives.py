"""Ray-primitive intersections and surfaces against hand-computed answers."""

import math

import numpy as np
import pytest

from spaceport_app.demo.primitives import Backdrop, Box, Cylinder, Floor, Sphere
from spaceport_app.demo.textures import Texture, make_texture

pytestmark = pytest.mark.unit

PLAIN = Texture(np.full((4, 4, 3), 200, np.uint8))


def rays(*dirs: tuple[float, float, float]) -> np.ndarray:
    d = np.array(dirs, np.float32)
    return d / np.linalg.norm(d, axis=1, keepdims=True)


def test_sphere_hit_distance_normal_and_miss() -> None:
    """A unit sphere 5 m ahead is hit at 4 m with an outward normal; a ray beside it misses."""
    sphere = Sphere(np.array([0, 0, 5], np.float32), 1.0, np.eye(3, dtype=np.float32), PLAIN)
    origin = np.zeros(3, np.float32)
    t = sphere.intersect(origin, rays((0, 0, 1), (0.5, 0, 1)))
    assert t[0] == pytest.approx(4.0, abs=1e-5) and np.isinf(t[1])
    normals, albedo = sphere.surface(np.array([[0, 0, 4]], np.float32))
    np.testing.assert_allclose(normals, [[0, 0, -1]], atol=1e-6)
    np.testing.assert_allclose(albedo, [[200 / 255] * 3], atol=1e-6)


def test_turned_box_is_hit_on_the_face_it_shows() -> None:
    """A box turned 45 degrees is hit on its corner edge at the right distance, with a face normal."""
    box = Box(np.array([0, 0, 0.5], np.float32), np.array([0.5, 0.5, 0.5], np.float32), math.pi / 4, PLAIN)
    origin = np.array([3, 0, 0.5], np.float32)
    t = box.intersect(origin, rays((-1, 0, 0), (-1, 0.01, 0), (0, 1, 0)))
    assert t[0] == pytest.approx(3 - 0.5 * math.sqrt(2), abs=1e-5) and np.isinf(t[2])
    normals, _ = box.surface(origin + t[1] * rays((-1, 0.01, 0)))
    np.testing.assert_allclose(normals, [[math.sqrt(0.5), math.sqrt(0.5), 0]], atol=1e-5)


def test_cylinder_side_and_top_cap() -> None:
    """An upright cylinder is hit on its side from the side and on its cap from above."""
    cyl = Cylinder(np.array([1, 0, 0], np.float32), 0.5, 2.0, PLAIN, PLAIN)
    side = cyl.intersect(np.array([4, 0, 1], np.float32), rays((-1, 0, 0)))
    top = cyl.intersect(np.array([1, 0, 5], np.float32), rays((0, 0, -1)))
    over = cyl.intersect(np.array([4, 0, 2.5], np.float32), rays((-1, 0, 0)))
    assert side[0] == pytest.approx(2.5, abs=1e-5) and top[0] == pytest.approx(3.0, abs=1e-5)
    assert np.isinf(over[0])
    normals, _ = cyl.surface(np.array([[1.5, 0, 1], [1.1, 0.1, 2.0]], np.float32))
    np.testing.assert_allclose(normals, [[1, 0, 0], [0, 0, 1]], atol=1e-6)


def test_floor_and_backdrop_enclose_the_camera() -> None:
    """From inside, a downward ray meets the floor and a level ray meets the backdrop at its radius."""
    floor, backdrop = Floor(9.0, PLAIN), Backdrop(9.0, 4.0, PLAIN)
    origin = np.array([1, 2, 1.5], np.float32)
    assert floor.intersect(origin, rays((0, 0, -1)))[0] == pytest.approx(1.5, abs=1e-5)
    assert np.isinf(floor.intersect(origin, rays((0, 0, 1)))[0])
    t = backdrop.intersect(origin, rays((1, 0, 0)))[0]
    assert t == pytest.approx(math.sqrt(81 - 4) - 1, abs=1e-4)
    normals, _ = backdrop.surface(origin + t * rays((1, 0, 0)))
    assert normals[0] @ np.array([t + 1, 2, 0]) < 0  # faces the inside


def test_texture_sampling_is_exact_at_texel_centres_and_bilinear_between() -> None:
    """Texture.sample returns a texel's value at its centre and the mean of two texels halfway."""
    pixels = np.random.default_rng(0).integers(0, 256, (8, 16, 3), dtype=np.uint8)
    tex = Texture(pixels)
    uv = np.array([[(3 + 0.5) / 16, (5 + 0.5) / 8], [(4 + 0.0) / 16, (5 + 0.5) / 8]])
    got = tex.sample(uv) * 255
    np.testing.assert_allclose(got[0], pixels[5, 3], atol=1e-3)
    np.testing.assert_allclose(got[1], (pixels[5, 3].astype(float) + pixels[5, 4]) / 2, atol=1e-3)


def test_textures_are_deterministic_and_unique() -> None:
    """The same random stream draws the same texture; another stream draws a different one."""
    a = make_texture(np.random.default_rng(1), 96, 64, "bricks", feature=8)
    b = make_texture(np.random.default_rng(1), 96, 64, "bricks", feature=8)
    c = make_texture(np.random.default_rng(2), 96, 64, "bricks", feature=8)
    assert np.array_equal(a.pixels, b.pixels)
    assert np.mean(np.abs(a.pixels.astype(int) - c.pixels)) > 10
