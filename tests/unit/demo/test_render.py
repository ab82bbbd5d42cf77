"""The ray caster: culling never changes the picture, and every object of the world is seen."""

from dataclasses import dataclass

import numpy as np
import pytest

from spaceport_app.demo import Intrinsics, World, build_world, orbit_poses, render_view
from spaceport_app.demo.primitives import Primitive

pytestmark = pytest.mark.unit


@dataclass(frozen=True)
class Unbounded(Primitive):
    """A primitive without an enclosing box, so the renderer tests it against every ray."""

    inner: Primitive

    def intersect(self, origin: np.ndarray, dirs: np.ndarray) -> np.ndarray:
        return self.inner.intersect(origin, dirs)

    def surface(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.inner.surface(points)


@pytest.fixture(scope="module")
def world() -> World:
    """The seed-3 world."""
    return build_world(3)


def test_culling_by_enclosing_box_changes_no_pixel(world: World) -> None:
    """Rendering with per-object ray windows gives exactly the image of testing every ray."""
    brute = World(tuple(Unbounded(p) for p in world.primitives), world.light, world.layout)
    cam = Intrinsics.phone(160, 120, k=-0.08)
    for pose in orbit_poses(6, np.random.default_rng(0)):
        fast, slow = render_view(world, cam, pose), render_view(brute, cam, pose)
        assert np.array_equal(fast.ids, slow.ids)
        assert np.array_equal(fast.rgb, slow.rgb)


def test_every_object_is_seen_and_nothing_is_sky(world: World) -> None:
    """Around the orbit every primitive shows up in some view, and no ray escapes to the sky."""
    cam = Intrinsics.phone(160, 120)
    seen: set[int] = set()
    for pose in orbit_poses(8, np.random.default_rng(1)):
        ids = render_view(world, cam, pose, supersample=1).ids
        assert ids.min() >= 0
        seen |= set(np.unique(ids).tolist())
    assert seen == set(range(len(world.primitives)))
