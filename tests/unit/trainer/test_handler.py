"""The trainer handler: the input gate, outputs in storage, and resuming an interrupted job."""

from pathlib import Path

import pytest

from spaceport.events import ModelTrained, SfmCompleted, SfmCompletedData, SfmMetrics, StageProgressData
from spaceport.params import JobOptions
from spaceport.params.trainer import TrainParams
from spaceport.runtime import Interrupted, PermanentError, StageContext
from spaceport.settings import Settings
from spaceport.storage import LocalStore
from spaceport.storage.transfer import upload_dir
from spaceport_trainer.handler import on_sfm_completed
from tests.unit.trainer.synthetic import write_synthetic_scene

pytestmark = pytest.mark.unit

PARAMS = TrainParams(
    preset="preview",
    steps=40,
    data_factor=1,
    max_image_side=32,
    sh_degree=1,
    max_gaussians=2000,
    checkpoint_every=10,
    checkpoint_seconds=0,
    log_every=20,
    preview_views=1,
    seed=3,
)


def _event(store: LocalStore, scene: Path, job: str, params: TrainParams = PARAMS) -> SfmCompleted:
    upload_dir(store, scene / "sparse" / "0", f"jobs/{job}/sfm/sparse/0/")
    upload_dir(store, scene / "images", f"jobs/{job}/images/")
    data = SfmCompletedData(
        sparse_uri=store.uri(f"jobs/{job}/sfm/sparse/0/"),
        images_uri=store.uri(f"jobs/{job}/images/"),
        report_uri=store.uri(f"jobs/{job}/sfm/report.json"),
        metrics=SfmMetrics(images_total=12, images_registered=12, points3d=1200),
        options=JobOptions(trainer=params),
    )
    return SfmCompleted(source="sfm", job_id=job, data=data)


def _ctx(event: SfmCompleted, store: LocalStore, settings: Settings, work: Path, sink=None) -> StageContext:
    work.mkdir(parents=True)
    return StageContext(
        stage="trainer",
        event=event,
        store=store,
        work_dir=work,
        settings=settings,
        progress_sink=sink,
        min_progress_interval_s=0.0,
    )


def test_input_gate_rejects_999_points(tmp_path: Path, local_store: LocalStore, settings: Settings) -> None:
    """A sparse model of 999 points fails with insufficient_initial_splats before photos are fetched."""
    scene = write_synthetic_scene(tmp_path / "scene", views=4, points=999)
    event = _event(local_store, scene, "gate")
    ctx = _ctx(event, local_store, settings, tmp_path / "work")
    with pytest.raises(PermanentError) as err:
        on_sfm_completed(event, ctx)
    assert err.value.reason == "insufficient_initial_splats"
    assert "999" in err.value.message
    assert not (ctx.work_dir / "scene" / "images").exists()
    assert local_store.list_keys("jobs/gate/trainer/") == []


def test_interrupted_job_resumes_from_its_checkpoint(
    synthetic_scene: Path, tmp_path: Path, local_store: LocalStore, settings: Settings
) -> None:
    """Stopped at step 25 after a checkpoint, a redelivered job resumes there and ends like an unbroken one."""
    event = _event(local_store, synthetic_scene, "resume")
    first = _ctx(event, local_store, settings, tmp_path / "w1")

    def stop_halfway(data: StageProgressData) -> None:
        if data.fraction >= 0.6:  # first reported at step 25, between two periodic checkpoints
            first.cancel.set()

    first.progress_sink = stop_halfway
    with pytest.raises(Interrupted):
        on_sfm_completed(event, first)
    assert local_store.exists("jobs/resume/trainer/checkpoints/latest.pt")

    [out] = on_sfm_completed(event, _ctx(event, local_store, settings, tmp_path / "w2"))
    assert isinstance(out, ModelTrained)
    assert out.data.metrics.resumed_from_step == 25
    assert out.data.metrics.steps == out.data.metrics.steps_requested == 40
    keys = local_store.list_keys("jobs/resume/trainer/")
    assert "jobs/resume/trainer/model.ply" in keys and "jobs/resume/trainer/report.json" in keys
    assert any(k.startswith("jobs/resume/trainer/previews/") for k in keys)
    assert not any("checkpoints" in k for k in keys)  # removed once the outputs are stored

    other = _event(local_store, synthetic_scene, "unbroken")
    [ref] = on_sfm_completed(other, _ctx(other, local_store, settings, tmp_path / "w3"))
    assert ref.data.metrics.resumed_from_step is None
    resumed = local_store.get_bytes("jobs/resume/trainer/model.ply")
    assert resumed == local_store.get_bytes("jobs/unbroken/trainer/model.ply")


def test_a_bad_mask_fails_the_job_with_bad_mask(tmp_path: Path, local_store: LocalStore, settings: Settings) -> None:
    """A mask that is not an image beside the stored photos ends the job with reason bad_mask naming the photo."""
    scene = write_synthetic_scene(tmp_path / "scene", views=4, points=1200)
    (scene / "images" / "masks").mkdir()
    (scene / "images" / "masks" / "0002.png.png").write_text("not a mask")
    event = _event(local_store, scene, "masked")
    with pytest.raises(PermanentError) as err:
        on_sfm_completed(event, _ctx(event, local_store, settings, tmp_path / "work"))
    assert err.value.reason == "bad_mask"
    assert "0002.png.png of photo 0002.png is not a readable image" in err.value.message
