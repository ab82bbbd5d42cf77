"""`reconstruct`: photos (or a video) in a folder -> a gated sparse model and a report. No bus, no S3."""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import structlog

from spaceport.criteria import Thresholds
from spaceport.events import SfmMetrics
from spaceport.params import SfmParams
from spaceport.resources import PeakMemory
from spaceport_sfm.diagnostics import Diagnosis, diagnose
from spaceport_sfm.gate import Verdict, attempt_metrics, judge
from spaceport_sfm.hints import input_hints, reconstruction_hints, skipped_hints
from spaceport_sfm.preparation import InputRejection, PreparedInput, input_rejection, prepare_inputs
from spaceport_sfm.protocol import ChildProgress, ChildRequest, ChildResult
from spaceport_sfm.report import AttemptReport, InputKind, SfmReport
from spaceport_sfm.runner import CHILD_COMMAND, run_child

log = structlog.get_logger(__name__)

STEP_SPANS: dict[str, tuple[float, float]] = {
    "validation": (0.0, 0.05),
    "extraction": (0.05, 0.35),
    "matching": (0.35, 0.65),
    "mapping": (0.65, 0.95),
    "statistics": (0.95, 0.99),
}
"""Where each step of an attempt sits in the job's progress; 1.0 is sent once the verdict is known."""


@dataclass(frozen=True)
class ProgressUpdate:
    """How far the whole reconstruction is (0..1), in which step."""

    fraction: float
    step: str
    message: str = ""


ProgressFn = Callable[[ProgressUpdate], None]


class _Monotonic:
    """Progress that never goes back: a second attempt continues from where the first one stopped."""

    def __init__(self, sink: ProgressFn) -> None:
        self.sink = sink
        self.best = 0.0

    def __call__(self, update: ProgressUpdate) -> None:
        self.best = max(self.best, update.fraction)
        self.sink(replace(update, fraction=self.best))

    def attempt_scale(self, number: int) -> Callable[[float], float]:
        """Map an attempt's own 0..0.99 onto what is left of the job's progress."""
        if number == 1:
            return lambda fraction: fraction
        start = self.best
        return lambda fraction: start + (0.99 - start) * fraction / 0.99


@dataclass(frozen=True)
class RunOptions:
    """How to run, as opposed to what to compute (that is SfmParams)."""

    threads: int = 0
    """CPU threads for pycolmap; 0 = all cores."""
    thresholds: Thresholds = field(default_factory=Thresholds)
    input_kind: InputKind = "photos"
    cancelled: Callable[[], bool] = lambda: False
    child_command: Sequence[str] = CHILD_COMMAND


@dataclass(frozen=True)
class _Attempt:
    report: AttemptReport
    result: ChildResult
    diagnosis: Diagnosis
    verdict: Verdict


def reconstruct(
    images_dir: Path,
    work_dir: Path,
    params: SfmParams,
    progress: ProgressFn | None = None,
    options: RunOptions | None = None,
) -> SfmReport:
    """Validate, extract, match, map and gate; one heavier second attempt before a rejection. The report's
    `peak_rss_bytes` is this process's peak RSS plus the largest pycolmap child's (they run side by side)."""
    with PeakMemory() as memory:
        report = _reconstruct(images_dir, work_dir, params, progress, options)
    child = max((attempt.peak_rss_bytes for attempt in report.attempts), default=0)
    metrics = report.metrics.model_copy(update={"peak_rss_bytes": memory.peak_bytes + child})
    return report.model_copy(update={"metrics": metrics})


def _reconstruct(
    images_dir: Path,
    work_dir: Path,
    params: SfmParams,
    progress: ProgressFn | None,
    options: RunOptions | None,
) -> SfmReport:
    run = options or RunOptions()
    notify = _Monotonic(progress or (lambda update: None))
    start = time.monotonic()
    notify(ProgressUpdate(0.0, "validation", "checking the images"))
    prepared = prepare_inputs(images_dir, work_dir, params, run.input_kind)
    validation_s = round(time.monotonic() - start, 3)
    rejection = input_rejection(prepared, params)
    if rejection is not None:
        log.info("sfm_input_rejected", reason=rejection.reason, message=rejection.message)
        notify(ProgressUpdate(1.0, "gate", rejection.message))
        return _input_report(prepared, params, rejection, validation_s)
    attempts: list[_Attempt] = []
    current: SfmParams | None = params
    while current is not None:
        number = len(attempts) + 1
        attempt = _attempt(prepared, work_dir / f"attempt-{number}", current, run, notify, number)
        attempts.append(attempt)
        if attempt.verdict.passed or not params.retry_with_robust_profile or len(attempts) > 1:
            break
        current = current.more_robust()
        if current is not None:
            log.info("sfm_retrying", reason=attempt.verdict.reason, profile=current.profile)
    notify(ProgressUpdate(1.0, "gate", attempts[-1].verdict.message))
    return _final_report(prepared, attempts, validation_s, time.monotonic() - start)


def _attempt(
    prepared: PreparedInput, work_dir: Path, params: SfmParams, run: RunOptions, notify: _Monotonic, number: int
) -> _Attempt:
    request = ChildRequest(
        images_dir=prepared.images_dir,
        image_names=tuple(image.name for image in prepared.accepted),
        work_dir=work_dir,
        params=params,
        threads=run.threads or -1,
        input_kind=prepared.input_kind,
        masks_dir=prepared.masks_dir,
    )

    scale = notify.attempt_scale(number)

    def relay(child: ChildProgress) -> None:
        low, high = STEP_SPANS[child.step]
        prefix = f"attempt {number} ({params.profile}): " if number > 1 else ""
        notify(ProgressUpdate(scale(low + (high - low) * child.fraction), child.step, prefix + child.message))

    result = run_child(request, params.timeout_s, relay, run.cancelled, run.child_command)
    diagnosis = diagnose(prepared.accepted, result)
    metrics = attempt_metrics(result, len(prepared.accepted), params, diagnosis.components)
    verdict = judge(metrics, run.thresholds, diagnosis.components)
    log.info(
        "sfm_attempt",
        number=number,
        profile=params.profile,
        passed=verdict.passed,
        reason=verdict.reason,
        registered=metrics.images_registered,
        total=metrics.images_total,
        points=metrics.points3d,
    )
    report = AttemptReport(
        number=number,
        params=params,
        pairing=result.pairing,
        device=result.device,
        guided_matching=result.guided_matching,
        matched_pairs=result.matched_pairs,
        step_seconds=result.step_seconds,
        step_cpu_seconds=result.step_cpu_seconds,
        step_peak_rss_bytes=result.step_peak_rss_bytes,
        peak_rss_bytes=result.peak_rss_bytes,
        models=result.models,
        principal_point=result.principal_point,
        gate=verdict.results,
        passed=verdict.passed,
        reason=verdict.reason,
        log_path=work_dir / "colmap.log",
    )
    return _Attempt(report, result, diagnosis, verdict)


def _final_report(prepared: PreparedInput, attempts: list[_Attempt], validation_s: float, seconds: float) -> SfmReport:
    final = attempts[-1]
    steps: dict[str, float] = {"validation": validation_s}
    for attempt in attempts:
        for step, value in attempt.result.step_seconds.items():
            steps[step] = round(steps.get(step, 0.0) + value, 3)
    metrics = attempt_metrics(
        final.result, len(prepared.accepted), final.report.params, final.diagnosis.components
    ).model_copy(update={"attempts": len(attempts), "step_seconds": steps, "seconds": round(seconds, 3)})
    hints = [*reconstruction_hints(final.diagnosis, final.verdict.reason), *skipped_hints(prepared.skipped)]
    return SfmReport(
        passed=final.verdict.passed,
        reason=final.verdict.reason,
        message=final.verdict.message,
        hints=tuple(hints),
        metrics=metrics,
        gate=final.verdict.results,
        attempts=tuple(attempt.report for attempt in attempts),
        images=final.diagnosis.images,
        skipped=prepared.skipped,
        components=final.diagnosis.components,
        input_kind=prepared.input_kind,
        video=prepared.video,
        images_dir=prepared.images_dir,
        images_changed=prepared.changed,
        sparse_dir=final.result.sparse_dir if final.verdict.passed else None,
        log_path=final.report.log_path,
    )


def _input_report(
    prepared: PreparedInput, params: SfmParams, rejection: InputRejection, validation_s: float
) -> SfmReport:
    metrics = SfmMetrics(
        images_total=len(prepared.accepted),
        images_registered=0,
        points3d=0,
        camera_model=params.camera_model,
        profile=params.profile,
        step_seconds={"validation": validation_s},
        seconds=validation_s,
    )
    hints = [*input_hints(rejection.reason, params.min_images, params.min_side_px), *skipped_hints(prepared.skipped)]
    return SfmReport(
        passed=False,
        reason=rejection.reason,
        message=rejection.message,
        hints=tuple(hints),
        metrics=metrics,
        skipped=prepared.skipped,
        input_kind=prepared.input_kind,
        video=prepared.video,
        images_dir=prepared.images_dir,
        images_changed=prepared.changed,
    )
