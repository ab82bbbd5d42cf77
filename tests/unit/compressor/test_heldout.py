"""The held-out PSNR drop: the trainer's scorer on a real trained toy model, through the compressor stage."""

import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from structlog.testing import capture_logs

from spaceport.criteria import compression_results
from spaceport.events import Compressed, ModelTrained, ModelTrainedData, TrainMetrics
from spaceport.params import JobOptions
from spaceport.runtime import StageContext
from spaceport.settings import Settings
from spaceport.storage import LocalStore
from spaceport.storage.transfer import upload_dir
from spaceport_compressor.fidelity import NotMeasured
from spaceport_compressor.heldout import heldout_scoring
from spaceport_compressor.ply import read_ply
from spaceport_compressor.report import CompressReport
from spaceport_trainer.report import TrainReport
from spaceport_trainer.train import train
from tests.unit.compressor.test_stage import final, run_stage
from tests.unit.trainer.synthetic import write_synthetic_scene
from tests.unit.trainer.test_scoring import PARAMS

pytestmark = pytest.mark.unit

MAX_DROP_DB = 1.0  # default SOG settings on a 40-step toy model (the trainer scoring test's PARAMS)


@dataclass(frozen=True)
class Trained:
    """A synthetic scene and the model the trainer made of it."""

    scene: Path
    report: TrainReport

    @property
    def psnr(self) -> float:
        assert self.report.final is not None and self.report.final.psnr is not None
        return self.report.final.psnr


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    """A 12-view 64x48 scene trained for 40 CPU steps (held-out views at 48x36)."""
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("toy")
    scene = write_synthetic_scene(root / "scene")
    return Trained(scene, train(scene, root / "out", PARAMS))


def publish(store: LocalStore, trained: Trained, job: str, photos: bool = True) -> ModelTrained:
    """Store the job's sparse model, photos (unless not) and model as the stages before would; its event."""
    upload_dir(store, trained.scene / "sparse" / "0", f"jobs/{job}/sfm/sparse/0/")
    if photos:
        upload_dir(store, trained.scene / "images", f"jobs/{job}/images/")
    store.put_file(f"jobs/{job}/trainer/model.ply", Path(trained.report.model_path))
    store.put_bytes(f"jobs/{job}/trainer/report.json", trained.report.model_dump_json().encode())
    metrics = TrainMetrics(steps=40, steps_requested=40, gaussians=trained.report.gaussians, initial_gaussians=1200)
    return ModelTrained(
        source="trainer",
        job_id=job,
        data=ModelTrainedData(
            ply_uri=store.uri(f"jobs/{job}/trainer/model.ply"),
            sparse_uri=store.uri(f"jobs/{job}/sfm/sparse/0/"),
            images_uri=store.uri(f"jobs/{job}/images/"),
            report_uri=store.uri(f"jobs/{job}/trainer/report.json"),
            metrics=metrics,
            options=JobOptions(trainer=PARAMS),
        ),
    )


def context(event: ModelTrained, store: LocalStore, settings: Settings, work: Path) -> StageContext:
    """A compressor context for calling the scorer factory directly."""
    work.mkdir(parents=True)
    return StageContext(stage="compressor", event=event, store=store, work_dir=work, settings=settings)


def test_factory_fetches_only_the_heldout_photos(
    trained: Trained, local_store: LocalStore, settings: Settings, tmp_path: Path
) -> None:
    """The factory downloads the 2 held-out photos of 12, and scores the `.ply` as the trainer did."""
    event = publish(local_store, trained, "job-fetch")
    ctx = context(event, local_store, settings, tmp_path / "work")
    scorer = heldout_scoring(event, ctx)
    assert not isinstance(scorer, NotMeasured)
    photos = sorted(p.name for p in (ctx.work_dir / "heldout" / "images").iterdir())
    assert photos == ["0000.png", "0008.png"]
    splats = read_ply(Path(trained.report.model_path)).splats
    assert scorer(splats) == pytest.approx(trained.psnr, abs=0.01)


def test_stage_publishes_a_small_psnr_drop(trained: Trained, local_store: LocalStore, settings: Settings) -> None:
    """The default stage reports the original's held-out PSNR (the trainer's) and a drop under 1 dB."""
    done = final(run_stage([publish(local_store, trained, "job-drop")], local_store, settings), "job-drop")
    assert isinstance(done, Compressed), done
    report = CompressReport.model_validate_json(local_store.get_bytes(local_store.key_of(done.data.report_uri)))
    assert report.fidelity is not None and report.fidelity.psnr_original_db is not None
    assert report.fidelity.psnr_original_db == pytest.approx(trained.psnr, abs=0.01)
    assert done.data.metrics.fidelity is not None
    drop = done.data.metrics.fidelity.psnr_drop_db
    assert drop is not None and math.isfinite(drop) and abs(drop) < MAX_DROP_DB, drop


def test_missing_photos_leave_the_drop_unmeasured_with_the_reason(
    trained: Trained, local_store: LocalStore, settings: Settings
) -> None:
    """Without the photos in storage the job still ends in Compressed; `psnr_drop_db` is None and the criteria
    report names `fidelity_psnr_drop` as not measured, with the missing photo."""
    done = final(
        run_stage([publish(local_store, trained, "job-nophotos", photos=False)], local_store, settings), "job-nophotos"
    )
    assert isinstance(done, Compressed), done
    fidelity = done.data.metrics.fidelity
    assert fidelity is not None and fidelity.psnr_drop_db is None
    [drop] = [
        c for c in compression_results(done.data.metrics, True, settings.criteria) if c.name == "fidelity_psnr_drop"
    ]
    assert drop.outcome == "not_measured" and "0000.png" in drop.message


def test_factory_failure_is_a_warning(
    trained: Trained, local_store: LocalStore, settings: Settings, tmp_path: Path
) -> None:
    """A held-out photo missing from storage: no scorer, and a warning naming the missing object."""
    event = publish(local_store, trained, "job-warn", photos=False)
    with capture_logs() as logs:
        scorer = heldout_scoring(event, context(event, local_store, settings, tmp_path / "work"))
    assert isinstance(scorer, NotMeasured) and "0000.png" in scorer.reason
    [warning] = [e for e in logs if e["event"] == "heldout_scorer_failed"]
    assert warning["log_level"] == "warning" and "0000.png" in warning["reason"]


def test_without_torch_the_criterion_is_reported_not_measured(
    trained: Trained, local_store: LocalStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the splat library cannot be imported (no torch, as in the compressor's image) the job still ends in
    Compressed and its criteria report names `fidelity_psnr_drop` as not measured, saying why."""
    monkeypatch.setitem(sys.modules, "spaceport_splats.scoring", None)
    with capture_logs() as logs:
        done = final(run_stage([publish(local_store, trained, "job-notorch")], local_store, settings), "job-notorch")
    assert isinstance(done, Compressed), done
    [drop] = [
        c for c in compression_results(done.data.metrics, True, settings.criteria) if c.name == "fidelity_psnr_drop"
    ]
    assert drop.outcome == "not_measured"
    assert "cannot render splats" in drop.message and "splats` extra" in drop.message
    assert "heldout_scorer_unavailable" in [e["event"] for e in logs]


def test_factory_fetches_the_masks_of_the_heldout_photos(
    trained: Trained, local_store: LocalStore, settings: Settings, tmp_path: Path
) -> None:
    """A held-out photo's mask comes with it (a training photo's does not), and the score then counts its kept
    pixels only, as the trainer's does: it differs from the whole-image score."""
    event = publish(local_store, trained, "job-masks")
    keep = np.ones((48, 64), np.uint8) * 255
    keep[:, :40] = 0
    Image.fromarray(keep).save(tmp_path / "mask.png")
    for name in ("0000.png.png", "0001.png.png"):
        local_store.put_file(f"jobs/job-masks/images/masks/{name}", tmp_path / "mask.png")
    ctx = context(event, local_store, settings, tmp_path / "work")
    scorer = heldout_scoring(event, ctx)
    assert not isinstance(scorer, NotMeasured)
    fetched = sorted(p.name for p in (ctx.work_dir / "heldout" / "images" / "masks").iterdir())
    assert fetched == ["0000.png.png"]
    splats = read_ply(Path(trained.report.model_path)).splats
    assert abs(scorer(splats) - trained.psnr) > 0.05
