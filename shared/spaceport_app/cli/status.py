"""`spaceport status [JOB]`: jobs and their criteria, read from the monitor's HTTP API."""

import time
from datetime import datetime

import httpx
import typer
from pydantic import BaseModel, ConfigDict
from rich.console import Console
from rich.table import Table

from spaceport.criteria import format_observed

DEFAULT_URL = "http://127.0.0.1:8080"
_STYLE = {
    "succeeded": "green",
    "pass": "green",
    "done": "green",
    "running": "yellow",
    "pending": "yellow",
    "rejected": "red",
    "failed": "red",
    "fail": "red",
    "stalled": "red",
}


class _View(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CriterionRow(_View):
    """A criterion as the monitor reports it."""

    name: str
    stage: str
    outcome: str
    observed: float | str | None = None
    expected: str = ""
    message: str = ""


class JobRow(_View):
    """A job of the monitor's list."""

    job_id: str
    outcome: str
    current_stage: str | None = None
    stalled: bool = False
    submitted_at: datetime | None = None
    duration_s: float | None = None
    criteria: list[CriterionRow] = []
    failed_criteria: list[str] = []


class StageRow(_View):
    """One stage of a job's timeline."""

    stage: str
    status: str
    duration_s: float | None = None
    budget_s: float | None = None
    attempts: int = 0


class FailureRow(_View):
    """Why a job ended without a result."""

    stage: str
    reason: str
    message: str
    hints: list[str] = []


class AlertRow(_View):
    """An alert about a job."""

    criterion: str
    severity: str
    message: str


class JobDetailView(JobRow):
    """One job in full."""

    stages: list[StageRow] = []
    failure: FailureRow | None = None
    alerts: list[AlertRow] = []


class JobListView(_View):
    """`GET /jobs`."""

    jobs: list[JobRow]


class MonitorError(RuntimeError):
    """The monitor could not be reached or refused the request."""


def fetch(client: httpx.Client, path: str, params: dict[str, str | int] | None = None) -> bytes:
    """GET a monitor route; `MonitorError` with a readable reason when that fails."""
    try:
        response = client.get(path, params=params)
    except httpx.HTTPError as exc:
        raise MonitorError(f"cannot reach the monitor at {client.base_url}: {exc}") from exc
    if response.status_code == 401:
        raise MonitorError("the monitor wants a token: pass --token or set SPACEPORT_MONITOR_TOKEN")
    if response.status_code == 404:
        raise MonitorError("no such job")
    if not response.is_success:
        raise MonitorError(f"the monitor answered HTTP {response.status_code} for {path}")
    return response.content


def _styled(word: str) -> str:
    style = _STYLE.get(word)
    return f"[{style}]{word}[/]" if style else word


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def jobs_table(jobs: list[JobRow]) -> Table:
    """The job list: outcome, stage, duration and criteria passed."""
    table = Table("job", "outcome", "stage", "submitted", "duration", "criteria", title="Spaceport jobs")
    for job in jobs:
        passed = sum(c.outcome == "pass" for c in job.criteria)
        failed = f" [red]failed: {', '.join(job.failed_criteria)}[/]" if job.failed_criteria else ""
        submitted = f"{job.submitted_at:%Y-%m-%d %H:%M:%S}" if job.submitted_at else "-"
        table.add_row(
            job.job_id,
            _styled("stalled" if job.stalled else job.outcome),
            job.current_stage or "-",
            submitted,
            _duration(job.duration_s),
            f"{passed}/{len(job.criteria)} pass{failed}",
        )
    return table


def print_job(console: Console, job: JobDetailView) -> None:
    """One job: timeline, criteria, failure and alerts."""
    console.print(f"[bold]{job.job_id}[/]  {_styled('stalled' if job.stalled else job.outcome)}")
    stages = Table("stage", "status", "duration", "budget", "attempts", title="timeline")
    for s in job.stages:
        stages.add_row(s.stage, _styled(s.status), _duration(s.duration_s), _duration(s.budget_s), str(s.attempts))
    console.print(stages)
    criteria = Table("criterion", "stage", "outcome", "observed", "expected", "note", title="criteria")
    for c in job.criteria:
        observed = format_observed(c.observed, c.expected)
        criteria.add_row(c.name, c.stage, _styled(c.outcome), observed, c.expected, c.message)
    console.print(criteria)
    if job.failure is not None:
        console.print(f"[red]{job.failure.stage}: {job.failure.reason}[/]: {job.failure.message}")
        for hint in job.failure.hints:
            console.print(f"  hint: {hint}")
    for alert in job.alerts:
        console.print(f"alert [{alert.severity}] {alert.criterion}: {alert.message}")


def _show_job(client: httpx.Client, console: Console, job_id: str, follow: bool, interval: float) -> int:
    while True:
        job = JobDetailView.model_validate_json(fetch(client, f"/jobs/{job_id}"))
        if not follow or job.outcome != "running":
            print_job(console, job)
            return {"succeeded": 0, "running": 0}.get(job.outcome, 1)
        console.print(f"{job.job_id}: {job.current_stage or '-'} ...", highlight=False)
        time.sleep(interval)


def status(
    job: str | None = typer.Argument(None, help="a job id (default: list recent jobs)"),
    url: str = typer.Option(DEFAULT_URL, envvar="SPACEPORT_MONITOR_URL", help="the monitor's base URL"),
    token: str | None = typer.Option(None, envvar="SPACEPORT_MONITOR_TOKEN", help="the monitor's API token"),
    outcome: str | None = typer.Option(None, help="list only jobs with this outcome"),
    limit: int = typer.Option(20, min=1, max=500, help="how many jobs to list"),
    follow: bool = typer.Option(False, "--follow", help="with JOB: poll until the job ends"),
    interval: float = typer.Option(5.0, help="seconds between polls with --follow"),
) -> None:
    """Show recent jobs, or one job's timeline and criteria (exit 1 when it failed or was rejected)."""
    console = Console()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(base_url=url, headers=headers, timeout=15.0) as client:
        try:
            if job is not None:
                raise typer.Exit(_show_job(client, console, job, follow, interval))
            params: dict[str, str | int] = {"limit": limit, **({"outcome": outcome} if outcome else {})}
            console.print(jobs_table(JobListView.model_validate_json(fetch(client, "/jobs", params)).jobs))
        except MonitorError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc


def register(app: typer.Typer) -> None:
    """Add `status` to the CLI."""
    app.command()(status)
