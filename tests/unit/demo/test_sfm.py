"""The SfM stage's core reconstructs the generated scene: every view, the true poses and intrinsics.

Runs `spaceport_sfm.reconstruct` (fast profile, no retry) on 16 views of 400x300 (seed 0), reads its
sparse model with pycolmap and compares it with the ground truth after similarity alignment.
Measured on the 2-core dev VM: about 4 s to generate and 10-15 s of SfM; 16/16 registered, about
1800 points, centre error about 0.04% of the scene scale, rotation error 0.13 deg (most of it from
the principal point, which the SfM profile refines and the truth fixes at the image centre).
"""

from pathlib import Path

import numpy as np
import pytest

from spaceport.params import SfmParams
from spaceport_app.demo import DemoScene, generate_scene, pose_errors

pycolmap = pytest.importorskip("pycolmap")
pipeline = pytest.importorskip("spaceport_sfm.pipeline")  # needs the sfm extra

pytestmark = pytest.mark.unit

VIEWS, WIDTH, HEIGHT, SEED = 16, 400, 300, 0


@pytest.fixture(scope="module")
def reconstruction(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoScene, "pycolmap.Reconstruction"]:
    """The generated scene and the sparse model the SfM core made of it (it must pass its gate)."""
    root: Path = tmp_path_factory.mktemp("demo-sfm")
    scene = generate_scene(root / "scene", views=VIEWS, seed=SEED, width=WIDTH, height=HEIGHT)
    params = SfmParams.preset("fast").model_copy(update={"retry_with_robust_profile": False})
    report = pipeline.reconstruct(scene.images_dir, root / "work", params)
    assert report.passed and report.sparse_dir is not None, report.message
    return scene, pycolmap.Reconstruction(report.sparse_dir)


def estimated_poses(model: "pycolmap.Reconstruction") -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """cam_from_world (R, t) of every registered image, by name."""
    poses = {}
    for image_id in model.reg_image_ids():
        image = model.images[image_id]
        pose = image.cam_from_world()
        poses[image.name] = (pose.rotation.matrix(), np.asarray(pose.translation))
    return poses


def test_every_view_is_registered(reconstruction: tuple[DemoScene, "pycolmap.Reconstruction"]) -> None:
    """All 16 views are registered in one model with at least 1000 points (the project's gate)."""
    scene, model = reconstruction
    assert sorted(estimated_poses(model)) == sorted(scene.poses)
    assert model.num_points3D() >= 1000


def test_poses_match_the_truth(reconstruction: tuple[DemoScene, "pycolmap.Reconstruction"]) -> None:
    """Aligned centres within 0.3% median / 1% max of the scene scale, rotations within 0.3 / 0.5 deg."""
    scene, model = reconstruction
    errors = pose_errors(estimated_poses(model), scene)
    assert errors.compared == VIEWS, errors.summary()
    assert errors.centre_median < 0.003 and errors.centre_max < 0.01, errors.summary()
    assert errors.rotation_median_deg < 0.3 and errors.rotation_max_deg < 0.5, errors.summary()


def test_intrinsics_match_the_truth(reconstruction: tuple[DemoScene, "pycolmap.Reconstruction"]) -> None:
    """One SIMPLE_RADIAL camera: f within 0.5%, k within 0.005, principal point within 2 px of the truth."""
    scene, model = reconstruction
    (camera,) = model.cameras.values()
    assert camera.model.name == "SIMPLE_RADIAL"
    f, cx, cy, k = camera.params
    truth = scene.intrinsics
    assert f == pytest.approx(truth.f, rel=0.005)
    assert k == pytest.approx(truth.k, abs=0.005)
    assert np.hypot(cx - truth.cx, cy - truth.cy) < 2.0
