"""A walk around a courtyard: camera poses along a closed path at eye height, for large photo sets and video.

The path is one smooth function of the share of the lap walked, so photos (a few hundred samples of it) and a
video (thousands of samples) are takes of the same walk. The walker faces ahead and turns the camera towards the
inside of the loop, where the objects stand, swaying it slowly left and right; every wobble is a sinusoid with a
seeded phase, so consecutive video frames move smoothly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from spaceport_app.demo.camera import Pose, look_at
from spaceport_app.demo.world import WorldLayout


@dataclass(frozen=True)
class Walk:
    """A closed elliptical walk (metres, degrees), anticlockwise seen from above, objects on the left."""

    radius_x: float = 6.4
    radius_y: float = 5.6
    height: float = 1.7
    step_bob: float = 0.03
    steps_per_lap: int = 60
    look_inward_deg: float = 60.0
    """Yaw of the camera from the way ahead towards the inside of the loop."""
    pitch_down_deg: float = 24.0
    sway_deg: float = 10.0
    sways_per_lap: int = 9
    roll_deg: float = 1.5
    laps: float = 1.0


COURTYARD = WorldLayout(
    stage_radius=4.6,
    backdrop_radius=11.0,
    backdrop_height=5.0,
    floor_texels=3072,
    boxes=9,
    spheres=5,
    cylinders=7,
)
"""A wide world for the walk: objects over a 9 m wide stage inside a 22 m courtyard wall."""


def walk_poses(views: int, rng: np.random.Generator, walk: Walk | None = None) -> list[Pose]:
    """`views` poses evenly spread along the walk (view i at the share i / views of its laps)."""
    w = walk or Walk()
    start, sway_phase, roll_phase, bob_phase = rng.uniform(0.0, 2.0 * math.pi, 4)
    poses = []
    for i in range(views):
        lap = w.laps * i / views  # share of a lap walked
        a = start + 2.0 * math.pi * lap
        bob = w.step_bob * math.sin(2.0 * math.pi * w.steps_per_lap * lap + bob_phase)
        centre = np.array([w.radius_x * math.cos(a), w.radius_y * math.sin(a), w.height + bob])
        ahead = np.array([-w.radius_x * math.sin(a), w.radius_y * math.cos(a)])
        ahead /= np.linalg.norm(ahead)
        left = np.array([-ahead[1], ahead[0]])
        yaw = math.radians(
            w.look_inward_deg + w.sway_deg * math.sin(2.0 * math.pi * w.sways_per_lap * lap + sway_phase)
        )
        pitch = math.radians(w.pitch_down_deg)
        heading = math.cos(yaw) * ahead + math.sin(yaw) * left
        forward = np.array([*(math.cos(pitch) * heading), -math.sin(pitch)])
        roll = w.roll_deg * math.sin(2.0 * math.pi * 3 * lap + roll_phase)
        poses.append(look_at(centre, centre + forward, roll_deg=roll))
    return poses
