"""`spaceport run PHOTOS_DIR`: the whole pipeline in this process, with a progress display and a summary."""

import asyncio
from pathlib import Path
from typing import Literal

import typer
from rich.console import Console
from rich.table import Table

from spaceport.criteria import format_observed
from spaceport.jobs.record import StageMemory
from spaceport.logging import configure_logging
from spaceport.params import JobOptions
from spaceport.settings import Settings
from spaceport_app.cli.exit_codes import ExitCode, describe_failed, failed_criteria
from spaceport_app.cli.follow import ProgressDisplay
from spaceport_app.embedded import run_embedded
from spaceport_app.embedded.summary import Summary, summarize, write_outputs
from spaceport_app.inputs import InputError, collect_inputs

Preset = Literal["preview", "standard", "quality"]
Profile = Literal["fast", "default", "enhanced"]


def describe_memory(memory: StageMemory) -> str:
    """`1.23 GiB RAM, 4.56 GiB GPU` (RAM is the peak RSS; GPU only where one was used)."""
    text = f"{memory.peak_rss_bytes / 2**30:.2f} GiB RAM"
    return text if memory.peak_gpu_bytes is None else f"{text}, {memory.peak_gpu_bytes / 2**30:.2f} GiB GPU"


def print_summary(console: Console, summary: Summary, written: dict[str, Path], seconds: float) -> None:
    """The criteria report, the figures and where the outputs are."""
    table = Table(title="success criteria", show_lines=False)
    for column in ("criterion", "stage", "result", "observed", "expected"):
        table.add_column(column, no_wrap=column != "expected")
    for c in summary.criteria:
        mark = {"pass": "[green]pass[/]", "fail": "[red]FAIL[/]"}.get(c.outcome, c.outcome)
        table.add_row(c.name, c.stage, mark, format_observed(c.observed, c.expected), c.expected)
    console.print(table)
    figures = Table(show_header=False, box=None)
    for name, value in {
        **summary.figures,
        **{f"{s} time": f"{v:.1f} s" for s, v in summary.stage_seconds.items()},
        **{f"{s} peak memory": describe_memory(m) for s, m in summary.stage_memory.items()},
    }.items():
        figures.add_row(name, value)
    console.print(figures)
    for name, path in {**summary.artifacts, **written}.items():
        console.print(f"  {name:<20} {path}", soft_wrap=True, highlight=False)  # paths whole, to copy
    if "3D viewer" in written:
        console.print(f"  view it with: spaceport view {written['3D viewer'].parent}", soft_wrap=True, highlight=False)
    for line in summary.notes:
        console.print(line, highlight=False)
    console.print(f"total {seconds:.1f} s")


def run_job(source: Path, out: Path, options: JobOptions, console: Console) -> tuple[int, Summary]:
    """Run one job end to end and print its summary; returns the exit code (`ExitCode`) and the summary."""
    settings = Settings(work_dir=out / ".work")
    display = ProgressDisplay(console)
    display.progress.start()
    try:
        run = asyncio.run(run_embedded(source, out, options, settings, display))
    finally:
        display.progress.stop()
    summary = summarize(run, settings.criteria)
    written = write_outputs(run, summary)
    print_summary(console, summary, written, run.seconds)
    if not run.succeeded:
        console.print(f"[red]job {run.job_id} failed:[/] {summary.reason}")
        return ExitCode.FAILED, summary
    failed = failed_criteria(summary.criteria)
    if failed:
        console.print(f"[yellow]job {run.job_id} done, but {describe_failed(failed)}[/]")
        return ExitCode.CRITERIA_FAILED, summary
    console.print(f"[green]job {run.job_id} done[/]")
    return ExitCode.OK, summary


def run(
    photos: Path = typer.Argument(..., help="a folder of photos (jpg/png), or a video (mp4/mov)"),
    out: Path = typer.Option(Path("spaceport-out"), help="output folder"),
    preset: Preset = typer.Option("preview", help="preview (minutes on a CPU) | standard | quality"),
    sfm_profile: Profile | None = typer.Option(None, help="SfM profile (default: fast for preview, else default)"),
    overrides: list[str] = typer.Option([], "--set", help="override a job parameter: stage.field=value (repeatable)"),
) -> None:
    """Run every stage in this process (in-memory bus, local folder): photos to a web-ready splat.

    Exit status: 0 done with every criterion passed, 1 failed or rejected, 2 bad input, 4 done but a
    success criterion failed (named in the last line)."""
    configure_logging("warning", "console")
    console = Console(stderr=True)
    try:
        collect_inputs(photos)
        options = JobOptions.for_preset(preset, sfm_profile).with_overrides(overrides)
    except (InputError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(ExitCode.USAGE) from exc
    code, _ = run_job(photos, out.resolve(), options, console)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command()(run)
