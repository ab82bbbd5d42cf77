"""200 photos of the courtyard walk through the embedded pipeline at a tiny preset: past the exhaustive limit,
SfM pairs by retrieval with a bounded number of pairs per photo, and the job still ends with a web splat and
cameras close to the truth.

Runs `run_embedded` (`spaceport run`'s code path: in-memory bus, local folder, every stage's handler) on 200
views of 240x180 (one ray per pixel), SfM's fast profile with at most 1,024 features a photo and 8 retrieval
neighbours, 30 training steps at 64 px.
"""

import asyncio
import json
from pathlib import Path

import pytest

from spaceport.params import JobOptions
from spaceport.settings import Settings
from spaceport_app.cli.demo import sparse_poses
from spaceport_app.demo import CAPTURES, generate_scene, pose_errors

pytest.importorskip("spaceport_sfm.handler")
pytest.importorskip("spaceport_trainer.handler")
embedded = pytest.importorskip("spaceport_app.embedded")
retrieval = pytest.importorskip("spaceport_sfm.retrieval")

pytestmark = pytest.mark.unit

VIEWS, NEIGHBOURS = 200, 8
TINY = [
    f"sfm.retrieval_neighbors={NEIGHBOURS}",
    "sfm.max_num_features=1024",
    "trainer.steps=30",
    "trainer.max_image_side=64",
    "trainer.checkpoint_every=30",
    "trainer.preview_views=0",
]


def test_two_hundred_photos_pair_by_retrieval_and_finish(tmp_path: Path) -> None:
    """The job ends Compressed; SfM chose retrieval, compared at most 2 * (neighbours + name neighbours) pairs
    per photo (a tenth of exhaustive's), registered at least 90% of the photos, and its cameras lie within 1% of
    the scene scale and 1.5 degrees (median) of the truth."""
    scene = generate_scene(
        tmp_path / "scene", views=VIEWS, width=240, height=180, supersample=1, capture=CAPTURES["courtyard"]
    )
    options = JobOptions.for_preset("preview").with_overrides(TINY)
    run = asyncio.run(
        embedded.run_embedded(scene.images_dir, tmp_path / "out", options, Settings(work_dir=tmp_path / "work"))
    )
    assert run.succeeded, run.outcome
    report = json.loads((run.job_dir() / "sfm" / "report.json").read_text())
    attempt = report["attempts"][-1]
    assert attempt["pairing"] == "retrieval"
    assert 0 < attempt["matched_pairs"] <= VIEWS * (NEIGHBOURS + retrieval.NAME_NEIGHBOURS)
    assert attempt["matched_pairs"] < VIEWS * (VIEWS - 1) / 2 / 10
    assert report["metrics"]["images_registered"] >= 0.9 * VIEWS
    errors = pose_errors(sparse_poses(run.job_dir() / "sfm" / "sparse" / "0"), scene)
    assert errors.centre_median < 0.01 and errors.rotation_median_deg < 1.5, errors.summary()
