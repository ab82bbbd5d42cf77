"""The production plan's validation, on the embedded pipeline: a real photo set against the success criteria."""

import asyncio
from pathlib import Path

import pytest

from spaceport.events import Compressed, ModelTrained, SfmCompleted
from spaceport.params import JobOptions
from spaceport.settings import Settings
from spaceport_app.embedded import run_embedded
from spaceport_app.embedded.summary import summarize, write_outputs

pytestmark = pytest.mark.e2e


def test_production_validation(castle_photos: Path, tmp_path: Path) -> None:
    """sceaux_castle through every stage in one process: 1000+ points, >50% registered, model >100 KB,
    3+ WebP files and meta.json, and every stage's duration reported and within budget."""
    options = JobOptions.for_preset("preview").with_overrides(["trainer.steps=120"])
    settings = Settings(work_dir=tmp_path / "work")
    run = asyncio.run(run_embedded(castle_photos, tmp_path / "out", options, settings, timeout_s=1500))
    assert isinstance(run.outcome, Compressed), f"job ended with {run.outcome}"
    [sfm] = [e for e in run.events if isinstance(e, SfmCompleted)]
    [trained] = [e for e in run.events if isinstance(e, ModelTrained)]
    assert sfm.data.metrics.points3d >= 1000
    assert sfm.data.metrics.images_registered / sfm.data.metrics.images_total > 0.5
    assert trained.data.metrics.model_bytes > 100 * 1024
    assert Path(run.outcome.data.meta_uri.removeprefix("file://")).is_file()
    assert run.outcome.data.metrics.webp_files >= 3 and len(run.outcome.data.webp_uris) >= 3
    summary = summarize(run, settings.criteria)
    results = {c.name: c for c in summary.criteria}
    for name in (
        "sfm_points",
        "sfm_registered",
        "trainer_initial_splats",
        "model_size",
        "training_steps",
        "sog_outputs",
        "duration_sfm",
        "duration_trainer",
        "duration_compressor",
        "duration_pipeline",
    ):
        assert results[name].outcome == "pass", results[name]
    assert set(summary.stage_seconds) >= {"sfm", "trainer", "compressor", "pipeline"}
    written = write_outputs(run, summary)
    assert written["report"].is_file()
