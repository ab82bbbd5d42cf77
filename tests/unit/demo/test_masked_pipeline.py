"""Masks travel through the embedded pipeline: uploaded with the photos, used by SfM, read by the trainer.

Runs `run_embedded` (in-memory bus, local folder: the same handlers and storage layout as the distributed
pipeline) on the demo's moving-object capture, 16 views of 400x300, 40 training steps at 160 px, with one mask
replaced by a turned one. Measured on the 2-core dev VM: about 60 s.
"""

import asyncio
from pathlib import Path

import pytest
from PIL import Image
from structlog.testing import capture_logs

from spaceport.params import JobOptions
from spaceport.settings import Settings
from spaceport_app.demo import CAPTURES, generate_scene

pytest.importorskip("spaceport_sfm.handler")
pytest.importorskip("spaceport_trainer.handler")
embedded = pytest.importorskip("spaceport_app.embedded")

pytestmark = pytest.mark.unit


def test_masks_reach_sfm_and_the_trainer_and_a_bad_one_is_reported(tmp_path: Path) -> None:
    """The job ends Compressed; SfM reports the photo with the turned mask as bad_mask, checks 14 masks and
    registers the other 15 photos, the one without a mask too; the trainer trains on 14 masked views and one
    whole; the masks are stored under the job's images/masks/."""
    scene = generate_scene(tmp_path / "scene", views=16, width=400, height=300, capture=CAPTURES["moving-object"])
    Image.new("L", (300, 400), 255).save(scene.images_dir / "masks" / "view_005.jpg.png")
    (scene.images_dir / "masks" / "view_009.jpg.png").unlink()
    options = JobOptions.for_preset("preview").with_overrides(["trainer.steps=40", "trainer.max_image_side=160"])
    with capture_logs() as logs:
        run = asyncio.run(
            embedded.run_embedded(scene.images_dir, tmp_path / "out", options, Settings(work_dir=tmp_path / "work"))
        )
    assert run.succeeded, run.outcome
    (completed,) = [e for e in run.events if e.type == "sfm.completed"]
    assert [(s.name, s.reason) for s in completed.data.skipped] == [("view_005.jpg", "bad_mask")]
    assert completed.data.metrics.images_registered == 15
    events = {entry["event"]: entry for entry in logs}
    assert events["masks_checked"]["masked"] == 14 and events["masks_checked"]["skipped"] == 1
    assert events["masks_loaded"]["masked"] == 14 and events["masks_loaded"]["unmasked"] == 1
    stored = sorted(p.name for p in (run.job_dir() / "images" / "masks").iterdir())
    assert len(stored) == 15 and stored[0] == "view_000.jpg.png"
