"""The courtyard walk: a smooth closed path at eye height, photos of a wide textured world, and its video."""

import itertools
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from spaceport.geometry import rotation_angle_deg
from spaceport_app.demo import CAPTURES, build_world, generate_scene, load_ground_truth, render_view
from spaceport_app.demo.video import VIDEO, generate_walk_video
from spaceport_app.demo.walk import Walk, walk_poses

pytestmark = pytest.mark.unit


def test_walk_is_smooth_and_closes_its_loop() -> None:
    """Consecutive cameras are a stride apart, the last comes back next to the first, and all stand at eye
    height on the walk's ellipse."""
    walk = Walk()
    poses = walk_poses(400, np.random.default_rng(0), walk)
    centres = np.array([p.centre for p in poses])  # [400, 3]
    steps = np.linalg.norm(np.diff(centres, axis=0), axis=1)
    assert steps.max() < 1.5 * np.median(steps)
    assert np.linalg.norm(centres[-1] - centres[0]) < 1.5 * np.median(steps)
    ellipse = (centres[:, 0] / walk.radius_x) ** 2 + (centres[:, 1] / walk.radius_y) ** 2
    assert np.allclose(ellipse, 1.0) and np.allclose(centres[:, 2], walk.height, atol=walk.step_bob + 1e-9)
    turns = [rotation_angle_deg(a.R @ b.R.T) for a, b in itertools.pairwise(poses)]
    assert max(turns) < 3.0


def test_courtyard_photos_see_several_objects_and_their_truth(tmp_path: Path) -> None:
    """Every photo of the courtyard walk sees the floor and at least two objects; the truth has each pose."""
    scene = generate_scene(
        tmp_path / "scene", views=6, width=160, height=120, supersample=1, capture=CAPTURES["courtyard"]
    )
    world = build_world(scene.seed, CAPTURES["courtyard"].layout)
    for name, pose in scene.poses.items():
        ids = render_view(world, scene.cameras[name], pose, supersample=1).ids
        objects = {int(i) for i in np.unique(ids)} - {-1, 0, 1}  # not sky, floor or wall
        assert 0 in np.unique(ids) and len(objects) >= 2, name
    assert set(load_ground_truth(scene.root).poses) == {p.name for p in scene.images_dir.glob("view_*.jpg")}


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg (Debian: apt-get install -y ffmpeg)")
def test_walk_video_decodes_to_one_frame_per_pose(tmp_path: Path) -> None:
    """The mp4 decodes to as many frames as the truth has poses, named as SfM names video frames."""
    truth = generate_walk_video(tmp_path / "video", seconds=2.0, fps=10, width=96, height=64)
    capture = cv2.VideoCapture(str(tmp_path / "video" / VIDEO))
    decoded = 0
    while capture.grab():
        decoded += 1
    capture.release()
    assert decoded == len(truth.poses) == 20
    assert list(load_ground_truth(truth.root).poses)[:2] == ["frame_000000.jpg", "frame_000001.jpg"]
