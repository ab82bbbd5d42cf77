"""`spaceport submit PHOTOS_DIR`: upload to storage, publish ImagesReady, print the job id."""

import asyncio
from pathlib import Path
from typing import Literal

import typer
from rich.console import Console

from spaceport.criteria import CriterionResult, Thresholds
from spaceport.events import Compressed, Envelope, SfmRejected, StageFailed, new_job_id
from spaceport.logging import configure_logging
from spaceport.params import JobOptions
from spaceport.runtime.bootstrap import bus_from_settings, store_from_settings
from spaceport.settings import Settings
from spaceport_app.cli.exit_codes import ExitCode, describe_failed, failed_criteria
from spaceport_app.cli.follow import JobWatch, ProgressDisplay, start_watching, wait_for_outcome
from spaceport_app.cli.notes import sfm_notes
from spaceport_app.inputs import InputError
from spaceport_app.submission import submit_job

Preset = Literal["preview", "standard", "quality"]
Profile = Literal["fast", "default", "enhanced"]


def describe_outcome(event: Envelope, failed: list[CriterionResult] | None = None) -> tuple[ExitCode, str]:
    """Exit code and a one-line summary of a job's terminal event (`failed`: the criteria it failed)."""
    if isinstance(event, Compressed):
        done = f"done: {event.data.sog_uri or event.data.meta_uri} (ratio {event.data.metrics.ratio:.1f}x)"
        if failed:
            return ExitCode.CRITERIA_FAILED, f"{done}, but {describe_failed(failed)}"
        return ExitCode.OK, done
    if isinstance(event, SfmRejected):
        hints = "".join(f"\n  hint: {h}" for h in event.data.hints)
        return ExitCode.FAILED, f"rejected by sfm ({event.data.reason}): {event.data.message}{hints}"
    if isinstance(event, StageFailed):
        return ExitCode.FAILED, f"failed in {event.data.stage} ({event.data.reason}): {event.data.message}"
    return ExitCode.FAILED, f"ended with {event.type}"


def job_criteria(watch: JobWatch, thresholds: Thresholds) -> list[CriterionResult]:
    """The success criteria of the job from the events it followed (the monitor's fold, one source of truth)."""
    from spaceport.jobs.fold import fold

    return list(fold(watch.job_id, watch.events, thresholds).criteria.values())


async def _submit(source: Path, options: JobOptions, job_id: str, wait: bool, timeout: float) -> int:
    settings = Settings()
    console = Console(stderr=True)
    bus = bus_from_settings(settings, "cli")
    store = store_from_settings(settings)
    watch = JobWatch(job_id)
    display = ProgressDisplay(console) if wait else None
    try:
        subscription = await start_watching(bus, watch, display) if wait else None
        submission = await submit_job(bus, store, source, options, job_id)
        typer.echo(submission.job_id)
        if subscription is None or display is None:
            return 0
        display.progress.start()
        try:
            outcome = await wait_for_outcome(watch, timeout)
        finally:
            display.progress.stop()
            await subscription.cancel()
        code, summary = describe_outcome(outcome, failed_criteria(job_criteria(watch, settings.criteria)))
        for line in sfm_notes(watch.events):
            console.print(line, highlight=False)
        console.print(summary, highlight=False)
        return code
    finally:
        await bus.close()


def submit(
    photos: Path = typer.Argument(..., help="a folder of photos (jpg/png), or a video (mp4/mov)"),
    preset: Preset = typer.Option("standard", help="pipeline preset (training length and resolution)"),
    sfm_profile: Profile | None = typer.Option(None, help="SfM profile (default: fast for preview, else default)"),
    overrides: list[str] = typer.Option([], "--set", help="override a job parameter: stage.field=value (repeatable)"),
    job_id: str | None = typer.Option(None, help="job id to use (default: a new one)"),
    wait: bool = typer.Option(False, "--wait", help="follow the job with a progress display until it ends"),
    timeout: float = typer.Option(4 * 3600, help="seconds to wait with --wait"),
) -> None:
    """Upload PHOTOS to storage, publish ImagesReady and print the job id.

    With --wait, the exit status says how the job ended: 0 done with every criterion passed, 1 failed or
    rejected, 2 bad input, 3 not ended within --timeout, 4 done but a success criterion failed."""
    configure_logging("warning", "console")
    try:
        options = JobOptions.for_preset(preset, sfm_profile).with_overrides(overrides)
        code = asyncio.run(_submit(photos, options, job_id or new_job_id(), wait, timeout))
    except (InputError, ValueError) as exc:  # JobExists is a ValueError: a used --job-id
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(ExitCode.USAGE) from exc
    except TimeoutError as exc:
        typer.echo(f"error: the job did not end within {timeout:.0f} s", err=True)
        raise typer.Exit(ExitCode.TIMEOUT) from exc
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command()(submit)
