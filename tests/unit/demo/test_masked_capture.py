"""A capture with an object that moves between photos, reconstructed and trained with and without its masks.

The demo's `moving-object` capture (16 views of 400x300, seed 0) has a textured ball that stands at one spot for
the first 8 views and at another for the last 8; its masks hide it. SfM (fast profile) runs on the photos with
their masks and on a copy without them; each model is trained for 150 steps (preview preset, 160 px). Measured on
the 2-core dev VM (loaded by other work): the module took 126 s; features under the masks 0 with masks vs 472
without; trained splats inside the ball's two volumes 0 with masks vs 11 (opacity sum 3.9-4.0, two runs) without.
"""

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from spaceport.geometry import Similarity, umeyama
from spaceport.params import SfmParams
from spaceport.params.trainer import TrainParams
from spaceport_app.demo import CAPTURES, DemoScene, generate_scene

pycolmap = pytest.importorskip("pycolmap")
pipeline = pytest.importorskip("spaceport_sfm.pipeline")
train_module = pytest.importorskip("spaceport_trainer.train")
export = pytest.importorskip("spaceport_splats.export")

pytestmark = pytest.mark.unit

VIEWS, WIDTH, HEIGHT = 16, 400, 300
STEPS, SIDE = 150, 160


@dataclass(frozen=True)
class Outcome:
    """What one variant (with or without masks) produced."""

    database: Path
    sparse_dir: Path
    means: np.ndarray  # [N, 3] trained splat centres, in the ground truth's world frame
    opacities: np.ndarray  # [N] in [0, 1]


def _to_truth(sparse_dir: Path, scene: DemoScene) -> Similarity:
    """The similarity from the model's frame to the ground truth's, fitted on the camera centres."""
    model = pycolmap.Reconstruction(sparse_dir)
    ids = list(model.images)
    estimated = np.array([model.images[i].projection_center() for i in ids])
    truth = np.array([scene.poses[model.images[i].name].centre for i in ids])
    return umeyama(estimated, truth)


def _run(scene: DemoScene, photos: Path, work: Path) -> Outcome:
    params = SfmParams.preset("fast").model_copy(update={"retry_with_robust_profile": False})
    report = pipeline.reconstruct(photos, work / "sfm", params)
    assert report.passed and report.sparse_dir is not None, report.message
    trainer = TrainParams.preset_named("preview").model_copy(
        update={"steps": STEPS, "data_factor": 1, "max_image_side": SIDE, "eval_steps": ()}
    )
    trained = train_module.train(report.sparse_dir, work / "train", trainer, images_dir=photos)
    splats = export.read_ply(Path(trained.model_path))
    means = _to_truth(report.sparse_dir, scene).apply(splats.means)
    opacities = 1.0 / (1.0 + np.exp(-splats.opacities.reshape(-1)))
    return Outcome(work / "sfm" / "attempt-1" / "database.db", report.sparse_dir, means, opacities)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoScene, Outcome, Outcome]:
    """The scene, then the run with its masks and the run on a copy of the photos without them."""
    root = tmp_path_factory.mktemp("masked-capture")
    scene = generate_scene(root / "scene", views=VIEWS, width=WIDTH, height=HEIGHT, capture=CAPTURES["moving-object"])
    bare = root / "bare"
    shutil.copytree(scene.images_dir, bare, ignore=shutil.ignore_patterns("masks"))
    return scene, _run(scene, scene.images_dir, root / "masked"), _run(scene, bare, root / "bare-run")


def features_under_masks(database: Path, masks_dir: Path) -> tuple[int, int]:
    """(keypoints on an ignored mask pixel, all keypoints) over every image of a COLMAP database."""
    hidden = total = 0
    with pycolmap.Database.open(database) as db:
        for image in db.read_all_images():
            points = db.read_keypoints(image.image_id)[:, :2]
            keep = np.asarray(Image.open(masks_dir / f"{image.name}.png")) > 0
            hidden += int((~keep[points[:, 1].astype(int), points[:, 0].astype(int)]).sum())
            total += len(points)
    return hidden, total


def inside_mover(scene: DemoScene, outcome: Outcome) -> tuple[int, float]:
    """(splats whose centre lies inside a volume the moving object filled, their summed opacity)."""
    inside = np.zeros(len(outcome.means), bool)
    for spot in scene.moving:
        inside |= np.linalg.norm(outcome.means - np.array(spot.centre), axis=1) < spot.radius
    return int(inside.sum()), float(outcome.opacities[inside].sum())


def test_the_capture_writes_masks_that_hide_the_moving_object(runs: tuple[DemoScene, Outcome, Outcome]) -> None:
    """Every view has a mask; each hides a part of the photo (the ball) and keeps most of it."""
    scene, _, _ = runs
    assert len(scene.moving) == 2 and sum(len(s.views) for s in scene.moving) == VIEWS
    hidden = [1 - (np.asarray(Image.open(scene.images_dir / "masks" / f"{n}.png")) > 0).mean() for n in scene.poses]
    assert max(hidden) > 0.005 and max(hidden) < 0.2


def test_sfm_extracts_no_features_under_masks(runs: tuple[DemoScene, Outcome, Outcome]) -> None:
    """With masks no stored keypoint lies on an ignored pixel; without them the ball does get keypoints."""
    scene, masked, bare = runs
    hidden, total = features_under_masks(masked.database, scene.images_dir / "masks")
    hidden_bare, _ = features_under_masks(bare.database, scene.images_dir / "masks")
    assert total > 10_000
    assert hidden == 0
    assert hidden_bare > 50


def test_the_moving_object_leaves_no_splats_when_masked(runs: tuple[DemoScene, Outcome, Outcome]) -> None:
    """Trained with masks, no splat sits inside the ball's volumes; trained without, some do."""
    scene, masked, bare = runs
    count, opacity = inside_mover(scene, masked)
    count_bare, opacity_bare = inside_mover(scene, bare)
    print(
        f"splats inside the moving object: masked {count} ({opacity:.2f}), unmasked {count_bare} ({opacity_bare:.2f})"
    )
    assert count == 0
    assert count_bare >= 3 and opacity_bare > 0.5
