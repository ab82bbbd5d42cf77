"""A procedural sample scene with known cameras: photos for `spaceport demo` and ground truth for tests.

    scene = generate_scene(Path("demo"), views=24, seed=0)   # demo/images/*.jpg + demo/ground_truth.json
    errors = pose_errors({name: (R, t), ...}, scene)          # after similarity alignment

Only numpy and Pillow are needed: the photos are ray-cast on the CPU against analytic primitives.
"""

from spaceport.geometry import Similarity, umeyama
from spaceport_app.demo.camera import Intrinsics, Orbit, Pose, look_at, orbit_poses
from spaceport_app.demo.capture import CAPTURES, CameraSpec, Capture, ColourJitter
from spaceport_app.demo.poses import PoseErrors, pose_errors
from spaceport_app.demo.render import Render, render_view
from spaceport_app.demo.scene import DemoScene, generate_scene, load_ground_truth
from spaceport_app.demo.world import World, WorldLayout, build_world

__all__ = [
    "CAPTURES",
    "CameraSpec",
    "Capture",
    "ColourJitter",
    "DemoScene",
    "Intrinsics",
    "Orbit",
    "Pose",
    "PoseErrors",
    "Render",
    "Similarity",
    "World",
    "WorldLayout",
    "build_world",
    "generate_scene",
    "load_ground_truth",
    "look_at",
    "orbit_poses",
    "pose_errors",
    "render_view",
    "umeyama",
]
