"""ImagesReady -> SfmCompleted | SfmRejected: fetch the photos, run the core, store the artifacts."""

import time
from collections.abc import Callable
from pathlib import Path

import structlog

from spaceport.events import Envelope, ImagesReady, SfmCompleted, SfmRejected, SkippedInput
from spaceport.params import SfmParams
from spaceport.runtime import PermanentError, StageContext, StageSpec
from spaceport.storage import ObjectNotFound, UnsafeKey, download_dir, safe_relpath
from spaceport_sfm.artifacts import store_failure, store_report
from spaceport_sfm.errors import SfmCancelled, SfmError
from spaceport_sfm.pipeline import ProgressFn, ProgressUpdate, RunOptions, reconstruct
from spaceport_sfm.report import SfmReport

log = structlog.get_logger(__name__)

Core = Callable[[Path, Path, SfmParams, ProgressFn | None, RunOptions | None], SfmReport]


def make_handler(core: Core = reconstruct) -> Callable[[ImagesReady, StageContext], list[Envelope]]:
    """The stage's handler around a reconstruction core (tests pass a fake one)."""

    def on_images_ready(event: ImagesReady, ctx: StageContext) -> list[Envelope]:
        """Reconstruct the job's photos; publish the model, or the reasons it was rejected."""
        params = event.data.options.sfm
        source = fetch_inputs(event, ctx)
        options = RunOptions(
            threads=ctx.settings.threads,
            thresholds=ctx.settings.criteria,
            input_kind=event.data.input_kind,
            cancelled=ctx.cancel.is_set,
        )
        try:
            report = core(source, ctx.work_dir / "sfm", params, progress_to(ctx), options)
        except SfmCancelled:
            ctx.check_cancelled()
            raise PermanentError("SfM was cancelled", reason="cancelled") from None
        except SfmError as exc:
            store_failure(ctx.store, ctx.prefix(), exc)
            raise PermanentError(exc.message, reason=exc.reason) from exc
        stored = store_report(ctx.store, ctx.prefix(), report, event.data.images_uri)
        metrics = report.metrics
        log.info(
            "sfm_done",
            passed=report.passed,
            reason=report.reason,
            registered=metrics.images_registered,
            total=metrics.images_total,
            points=metrics.points3d,
            seconds=metrics.seconds,
        )
        skipped = tuple(SkippedInput(name=s.name, reason=s.reason, detail=s.detail) for s in report.skipped)
        if report.passed and stored.sparse_uri is not None:
            return [
                event.answered_by(
                    SfmCompleted,
                    "sfm",
                    data={
                        "sparse_uri": stored.sparse_uri,
                        "images_uri": stored.images_uri,
                        "report_uri": stored.report_uri,
                        "metrics": metrics,
                        "options": event.data.options,
                        "hints": report.hints,
                        "skipped": skipped,
                    },
                )
            ]
        return [
            event.answered_by(
                SfmRejected,
                "sfm",
                data={
                    "reason": report.reason or "no_reconstruction",
                    "message": report.message,
                    "metrics": metrics,
                    "hints": report.hints,
                    "report_uri": stored.report_uri,
                    "skipped": skipped,
                },
            )
        ]

    return on_images_ready


def fetch_inputs(event: ImagesReady, ctx: StageContext) -> Path:
    """Download the job's images (a folder, or one video or archive object) into the work folder."""
    target = ctx.work_dir / "input"
    target.mkdir(parents=True, exist_ok=True)
    try:
        key = ctx.store.key_of(event.data.images_uri)
        if key.endswith("/"):
            download_dir(ctx.store, key, target)
        else:
            ctx.store.get_file(key, target / safe_relpath(key.rsplit("/", 1)[-1]))
    except UnsafeKey as exc:
        raise PermanentError(f"an input name escapes the job folder: {exc}", reason="unsafe_input") from exc
    except (ValueError, ObjectNotFound) as exc:
        raise PermanentError(
            f"cannot read the images at {event.data.images_uri}: {exc}", reason="bad_images_uri"
        ) from exc
    return target


def progress_to(ctx: StageContext) -> ProgressFn:
    """Forward core progress to StageProgress events, with an ETA from the pace so far."""
    start = time.monotonic()

    def send(update: ProgressUpdate) -> None:
        elapsed = time.monotonic() - start
        eta = elapsed * (1.0 - update.fraction) / update.fraction if update.fraction >= 0.05 else None
        ctx.progress(update.fraction, update.step, update.message, eta)

    return send


on_images_ready = make_handler()
STAGE = StageSpec(name="sfm", handle=on_images_ready, prefetch=1)
