"""`train()`: a sparse model and its photos in, a trained 3DGS `.ply`, previews and a report out."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import structlog
import torch

from spaceport.params.trainer import TrainParams
from spaceport.resources import PeakMemory, resident_bytes
from spaceport_splats.colmap import find_model_dir
from spaceport_splats.dataset import SceneData, load_scene
from spaceport_splats.evaluate import Evaluation, evaluate, save_previews
from spaceport_splats.export import to_world, write_ply
from spaceport_splats.photo_budget import photo_budget
from spaceport_splats.photo_cache import PhotoCache
from spaceport_splats.photometry import colour_agreement
from spaceport_splats.render import pick_device
from spaceport_splats.sh import active_sh_degree
from spaceport_splats.undistort import PreparedScene, prepare_scene
from spaceport_trainer import checkpoint as ckpt
from spaceport_trainer.loop import Run, start_run, train_step
from spaceport_trainer.report import EvaluationRecord, PhotoCacheRecord, TrainReport, ViewScoreRecord
from spaceport_trainer.scene_budget import budgeted

log = structlog.get_logger(__name__)
PHOTO_FOLDER = "photo-cache"  # the disk tier of the photo cache, under the output folder (removed at the end)


@dataclass(frozen=True)
class TrainProgress:
    """Where a run is; loss/PSNR only on logging steps (reading them costs a device sync)."""

    step: int
    steps: int
    elapsed_s: float
    loss: float | None = None
    psnr: float | None = None
    gaussians: int | None = None

    @property
    def fraction(self) -> float:
        return self.step / self.steps

    @property
    def eta_seconds(self) -> float | None:
        return self.elapsed_s / self.step * (self.steps - self.step) if self.step else None


@dataclass
class TrainHooks:
    """How the caller follows and steers a run (all optional)."""

    on_progress: Callable[[TrainProgress], None] | None = None
    on_checkpoint: Callable[[Path, int], None] | None = None
    should_stop: Callable[[], bool] | None = None
    progress_every: int = 25


class TrainingStopped(Exception):
    """`should_stop` asked the run to stop; a checkpoint at `step` was written first."""

    def __init__(self, step: int) -> None:
        super().__init__(f"training stopped after step {step} (checkpoint written)")
        self.step = step


@dataclass
class _Clock:
    device: torch.device
    spent: dict[str, float] = field(default_factory=lambda: {"train": 0.0, "eval": 0.0, "checkpoint": 0.0})
    _mark: float = 0.0
    _what: str = "train"

    def train_seconds(self) -> float:
        """Training time so far, the running stretch included (no device sync: for progress only)."""
        live = time.perf_counter() - self._mark if self._what == "train" and self._mark else 0.0
        return self.spent["train"] + live

    def switch(self, what: str) -> None:
        """Charge the time since the last switch to the current activity, then start `what`."""
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        now = time.perf_counter()
        if self._mark:
            self.spent[self._what] += now - self._mark
        self._mark, self._what = now, what


def _record(ev: Evaluation, gaussians: int, train_seconds: float) -> EvaluationRecord:
    return EvaluationRecord(
        step=ev.step,
        train_seconds=train_seconds,
        psnr=ev.psnr,
        ssim=ev.ssim,
        gaussians=gaussians,
        ms_per_image=ev.ms_per_image,
        views=[
            ViewScoreRecord(name=v.name, psnr=v.psnr, ssim=v.ssim, psnr_colour_fit=v.psnr_colour_fit) for v in ev.views
        ],
        psnr_colour_fit=ev.psnr_colour_fit,
    )


def _log_step(run: Run, loss: torch.Tensor, psnr: torch.Tensor, hooks: TrainHooks, clock: _Clock) -> None:
    loss_v, psnr_v, count = float(loss), float(psnr), len(run.splats["means"])
    run.loss_log.append((run.step, round(loss_v, 6)))
    log.info(
        f"Iter {run.step}: Loss={loss_v:.4f}, Gaussians={count}, PSNR={psnr_v:.2f}",
        step=run.step,
        loss=loss_v,
        gaussians=count,
        train_psnr=psnr_v,
    )
    if hooks.on_progress:
        hooks.on_progress(
            TrainProgress(run.step, run.params.steps, clock.train_seconds() + run.prior_seconds, loss_v, psnr_v, count)
        )


def _checkpoint(run: Run, folder: Path, hooks: TrainHooks, clock: _Clock) -> None:
    clock.switch("checkpoint")
    appearance = run.appearance.state_dict() if run.appearance is not None else None
    elapsed = run.prior_seconds + clock.spent["train"]
    path = ckpt.save_checkpoint(folder, run.step, run.splats, run.optimizer, run.params, elapsed, appearance)
    if hooks.on_checkpoint:
        hooks.on_checkpoint(path, run.step)
    clock.switch("train")


def _evaluate(run: Run, data: SceneData, clock: _Clock) -> None:
    clock.switch("eval")
    degree = active_sh_degree(run.params, run.step)
    ev = evaluate(run.splats, data.test, degree, run.step)
    run.evaluations.append(_record(ev, len(run.splats["means"]), run.prior_seconds + clock.spent["train"]))
    log.info(
        "heldout_evaluation",
        step=run.step,
        psnr=ev.psnr,
        psnr_colour_fit=ev.psnr_colour_fit,
        ssim=ev.ssim,
        views=len(data.test),
    )
    clock.switch("train")


def _loop(run: Run, data: SceneData, ckpt_dir: Path, hooks: TrainHooks, clock: _Clock) -> None:
    p = run.params
    clock.switch("train")
    stored_at = 0.0  # training seconds (this process) at the last checkpoint
    while run.step < p.steps:
        if hooks.should_stop and hooks.should_stop():
            _checkpoint(run, ckpt_dir, hooks, clock)
            raise TrainingStopped(run.step)
        loss, psnr = train_step(run, data, log_now=(run.step + 1) % p.log_every == 0 or run.step + 1 == p.steps)
        run.step += 1
        if psnr is not None:
            _log_step(run, loss, psnr, hooks, clock)
        elif hooks.on_progress and run.step % hooks.progress_every == 0:
            hooks.on_progress(TrainProgress(run.step, p.steps, clock.train_seconds() + run.prior_seconds))
        if run.step in p.eval_steps and run.step < p.steps:
            _evaluate(run, data, clock)
        if run.step % p.checkpoint_every == 0 and run.step < p.steps:
            if clock.train_seconds() - stored_at >= p.checkpoint_seconds:
                _checkpoint(run, ckpt_dir, hooks, clock)
                stored_at = clock.train_seconds()


def train(
    scene_dir: Path,
    out_dir: Path,
    params: TrainParams,
    progress: Callable[[TrainProgress], None] | None = None,
    hooks: TrainHooks | None = None,
    images_dir: Path | None = None,
    cpu_threads: int = 1,
) -> TrainReport:
    """Train on `scene_dir` (a COLMAP model, photos in `images/`) into `out_dir`; resumes from
    `out_dir/checkpoints/latest.pt` when one of the same parameters is there.

    On CPU, torch runs `cpu_threads` threads meanwhile (restored after): the CPU rasterizer issues many
    small ops, and on a shared 2-core machine two OpenMP threads spent 14x the CPU time of one (measured).
    """
    device = pick_device(params.device)
    if device.type != "cpu":
        return _train(scene_dir, out_dir, params, device, progress, hooks, images_dir)
    before = torch.get_num_threads()
    torch.set_num_threads(max(cpu_threads, 1))
    try:
        return _train(scene_dir, out_dir, params, device, progress, hooks, images_dir)
    finally:
        torch.set_num_threads(before)


@dataclass(frozen=True)
class _Job:
    """What one run trains on and where it writes."""

    scene: PreparedScene
    data: SceneData
    out_dir: Path
    t0: float
    memory: PeakMemory  # host RSS, sampled from the start
    colours_agree: bool | None = None  # `auto` appearance, settled before training (see `colours_agree`)


def colours_agree(params: TrainParams, model_dir: Path, images_dir: Path, data: SceneData) -> bool | None:
    """`auto` appearance: whether the training photos agree on colour along SfM's tracks (None: not asked, or
    too few shared points to tell)."""
    if params.appearance != "auto" or len(data.train) < params.appearance_min_views:
        return None
    agreement = colour_agreement(model_dir, images_dir, [v.name for v in data.train])
    if not agreement.measured:
        log.info("appearance_unmeasured", photos=len(agreement.gains))
        return None
    agree = agreement.spread < params.appearance_colour_spread
    log.info("appearance_decided", colour_spread=round(agreement.spread, 4), transforms=not agree)
    return agree


def _train(
    scene_dir: Path,
    out_dir: Path,
    params: TrainParams,
    device: torch.device,
    progress: Callable[[TrainProgress], None] | None,
    hooks: TrainHooks | None,
    images_dir: Path | None,
) -> TrainReport:
    t0 = time.perf_counter()
    hooks = hooks or TrainHooks()
    if progress is not None:
        hooks.on_progress = progress
    torch.manual_seed(params.seed)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    photos_dir = images_dir or scene_dir / "images"
    with PeakMemory() as memory:
        scene = prepare_scene(scene_dir, photos_dir, out_dir, params.camera, on_gpu=device.type == "cuda")
        photos = PhotoCache(device, photo_budget(params.photo_cache, device), out_dir / PHOTO_FOLDER)
        try:
            data = load_scene(
                scene.model,
                scene.images_dir,
                params.data_factor,
                params.max_image_side,
                params.test_every,
                device,
                photos=photos,
            )
            params = budgeted(params, len(data.train) + len(data.test), scene.model.num_points)
            agree = colours_agree(params, find_model_dir(scene_dir), photos_dir, data)
            return _run(_Job(scene, data, out_dir, t0, memory, agree), params, device, hooks)
        finally:
            photos.close()


def _run(job: _Job, params: TrainParams, device: torch.device, hooks: TrainHooks) -> TrainReport:
    data = job.data
    resume = ckpt.load_checkpoint(job.out_dir / "checkpoints", params, device)
    run = start_run(data, params, device, resume, job.colours_agree)
    load_s = time.perf_counter() - job.t0
    if run.renderer == "gsplat-3dgut":
        log.warning(
            "trained_through_3dgut",
            note="web viewers draw splats with the classic rasterizer, so this model will look worse there than "
            "its held-out scores say (fox: 31.6 dB through 3DGUT, 25.0 dB classic); camera=auto undistorts instead",
        )
    clock = _Clock(device)
    _loop(run, data, job.out_dir / "checkpoints", hooks, clock)
    clock.switch("eval")
    _evaluate(run, data, clock)
    return _finish(run, job, clock, load_s)


def _export(run: Run, data: SceneData, out_dir: Path) -> tuple[Path, int, int, list[Path]]:
    """Write the model (SfM world frame) and previews: (ply, splats written, rows dropped, previews)."""
    ply = out_dir / "model.ply"
    written, dropped = write_ply(ply, to_world(run.splats, data.transform))
    degree = active_sh_degree(run.params, run.params.steps)
    previews = save_previews(run.splats, data.test, degree, out_dir / "previews", run.params.preview_views)
    return ply, written, dropped, previews


def _cache_record(photos: PhotoCache) -> PhotoCacheRecord:
    stats, budget = photos.stats, photos.budget
    return PhotoCacheRecord(
        device_budget_bytes=budget.device_bytes,
        host_budget_bytes=budget.host_bytes,
        photos=dict(stats.photos),
        bytes=dict(stats.bytes),
        hits=stats.hits,
        fetches=stats.fetches,
        waits=stats.waits,
    )


def _finish(run: Run, job: _Job, clock: _Clock, load_s: float) -> TrainReport:
    p, device, data, scene, out_dir = run.params, run.device, job.data, job.scene, job.out_dir
    ply, written, dropped, previews = _export(run, data, out_dir)
    cuda = device.type == "cuda"
    first = data.train[0].camera
    report = TrainReport(
        params=p,
        device=torch.cuda.get_device_name(device) if cuda else "cpu",
        steps=run.step,
        steps_requested=p.steps,
        resumed_from_step=run.resumed_from,
        initial_gaussians=scene.model.num_points,
        gaussians=written,
        dropped_nonfinite=dropped,
        train_views=len(data.train),
        heldout_views=len(data.test),
        image_size=(first.width, first.height),
        camera_models=sorted({c.model for c in scene.model.cameras.values()}),
        lens_handling=scene.lens_handling,
        renderer=run.renderer,
        appearance="affine" if run.appearance is not None and run.appearance.active else "off",
        appearance_spread=run.appearance.spread() if run.appearance is not None and run.appearance.active else None,
        evaluations=run.evaluations,
        loss_log=run.loss_log,
        train_seconds=run.prior_seconds + clock.spent["train"],
        eval_seconds=clock.spent["eval"],
        checkpoint_seconds=clock.spent["checkpoint"],
        load_seconds=load_s,
        seconds=time.perf_counter() - job.t0,
        peak_memory_bytes=int(torch.cuda.max_memory_allocated(device)) if cuda else 0,
        peak_rss_bytes=max(job.memory.peak_bytes, resident_bytes()),
        photo_cache=_cache_record(data.photos),
        model_path=str(ply),
        model_bytes=ply.stat().st_size,
        previews=[str(x) for x in previews],
        heldout_cameras=[v.record(data.transform) for v in data.test],
    )
    (out_dir / "report.json").write_text(report.model_dump_json(indent=1))
    final = run.evaluations[-1]
    log.info(
        "training_finished",
        steps=report.steps,
        gaussians=written,
        psnr=final.psnr,
        psnr_colour_fit=final.psnr_colour_fit,
        ssim=final.ssim,
        appearance=report.appearance,
        train_seconds=round(report.train_seconds, 2),
    )
    return report
