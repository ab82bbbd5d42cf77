"""SfmCompleted -> ModelTrained: fetch the sparse model and photos, gate, train (resuming), store outputs."""

from pathlib import Path

import structlog

from spaceport.criteria import Thresholds, initial_splats_result, training_results
from spaceport.events import Envelope, ModelTrained, ModelTrainedData, SfmCompleted
from spaceport.params.trainer import TrainParams
from spaceport.runtime import Interrupted, PermanentError, StageContext, StageSpec
from spaceport.storage import download_dir, output_set
from spaceport_splats.colmap import LOG_FOLDER, ColmapError, count_points
from spaceport_splats.masks import MaskError
from spaceport_trainer.checkpoint import LATEST
from spaceport_trainer.report import TrainReport
from spaceport_trainer.train import TrainHooks, TrainingStopped, TrainProgress, train

log = structlog.get_logger(__name__)
CHECKPOINTS = "checkpoints/"


def _thresholds(ctx: StageContext, params: TrainParams) -> Thresholds:
    """The shared criteria; a job may only ask for a stricter input gate."""
    t = ctx.settings.criteria
    return t.model_copy(update={"min_initial_splats": max(t.min_initial_splats, params.min_initial_points)})


def _fetch_inputs(event: SfmCompleted, ctx: StageContext, scene: Path, t: Thresholds) -> None:
    """Download the sparse model, apply the input gate, then download the photos."""
    store = ctx.store
    download_dir(store, _as_prefix(store.key_of(event.data.sparse_uri)), scene / "sparse")
    try:
        points = count_points(scene / "sparse")
    except ColmapError as exc:
        raise PermanentError(str(exc), reason="invalid_sparse_model") from exc
    gate = initial_splats_result(points, t)
    if not gate.passed:
        raise PermanentError(gate.message, reason="insufficient_initial_splats")
    download_dir(store, _as_prefix(store.key_of(event.data.images_uri)), scene / "images")


def _as_prefix(key: str) -> str:
    return key if key.endswith("/") else key + "/"


def _restore_checkpoint(ctx: StageContext, out_dir: Path) -> bool:
    """Bring the job's last checkpoint from storage into `out_dir/checkpoints/`; False if there is none."""
    key = ctx.prefix() + CHECKPOINTS + LATEST
    if not ctx.store.exists(key):
        return False
    ctx.store.get_file(key, out_dir / "checkpoints" / LATEST)
    log.info("checkpoint_restored", key=key)
    return True


def _hooks(ctx: StageContext) -> TrainHooks:
    key = ctx.prefix() + CHECKPOINTS + LATEST

    def on_progress(p: TrainProgress) -> None:
        figures = {k: v for k, v in (("loss", p.loss), ("psnr", p.psnr), ("gaussians", p.gaussians)) if v is not None}
        ctx.progress(
            p.fraction,
            step="train",
            message=f"step {p.step}/{p.steps}",
            eta_seconds=p.eta_seconds,
            figures={k: float(v) for k, v in figures.items()},
        )

    def on_checkpoint(path: Path, step: int) -> None:
        ctx.store.put_file(key, path)
        log.info("checkpoint_stored", step=step, key=key)

    return TrainHooks(on_progress=on_progress, on_checkpoint=on_checkpoint, should_stop=ctx.cancel.is_set)


def _check_outputs(report: TrainReport, t: Thresholds) -> None:
    """The output gate: model size, steps completed, splat count (the PSNR floor is the monitor's)."""
    gating = {"model_size", "training_steps", "gaussian_count"}
    failed = [r for r in training_results(report.metrics(), t) if r.name in gating and not r.passed]
    if failed:
        raise PermanentError("; ".join(r.message for r in failed), reason=f"output_gate_{failed[0].name}")


def on_sfm_completed(event: SfmCompleted, ctx: StageContext) -> list[Envelope]:
    """Train a 3DGS model from the sparse model and photos of `event`; resumes from a stored checkpoint."""
    params = event.data.options.trainer
    t = _thresholds(ctx, params)
    scene, out_dir = ctx.work_dir / "scene", ctx.work_dir / "out"
    _fetch_inputs(event, ctx, scene, t)
    _restore_checkpoint(ctx, out_dir)
    ctx.check_cancelled()
    try:
        report = train(scene, out_dir, params, hooks=_hooks(ctx), cpu_threads=ctx.settings.threads or 1)
    except TrainingStopped as exc:
        raise Interrupted(f"stopped at step {exc.step}; checkpoint stored") from exc
    except MaskError as exc:
        raise PermanentError(str(exc), reason="bad_mask") from exc
    except ColmapError as exc:
        raise PermanentError(str(exc), reason="invalid_sparse_model") from exc
    _check_outputs(report, t)
    with output_set(ctx.store, ctx.prefix()) as outputs:
        ply_uri = outputs.put_file("model.ply", Path(report.model_path))
        previews_uri = outputs.put_dir("previews", out_dir / "previews") if report.previews else None
        report_uri = outputs.put_bytes("report.json", report.model_dump_json(indent=1).encode())
        if (out_dir / LOG_FOLDER).is_dir():  # COLMAP's own log of the undistortion, kept with the job
            outputs.put_dir(LOG_FOLDER, out_dir / LOG_FOLDER)
    ctx.store.delete(ctx.store.list_keys(ctx.prefix() + CHECKPOINTS))
    data = ModelTrainedData(
        ply_uri=ply_uri,
        sparse_uri=event.data.sparse_uri,
        images_uri=event.data.images_uri,
        report_uri=report_uri,
        previews_uri=previews_uri,
        metrics=report.metrics(),
        options=event.data.options,
    )
    return [event.answered_by(ModelTrained, "trainer", data=data)]


STAGE = StageSpec(name="trainer", handle=on_sfm_completed, prefetch=1)
