"""What the API returns: job summaries and details built from records, with signed artifact links."""

from datetime import datetime
from pathlib import PurePosixPath

from pydantic import BaseModel

from spaceport.criteria import CriterionResult, Thresholds
from spaceport.events import CompressMetrics, SfmMetrics, SkippedInput, TrainMetrics
from spaceport.events.metrics import Severity
from spaceport.jobs.record import Failure, JobOutcome, JobRecord, Progress, StageStatus
from spaceport.params import JobOptions
from spaceport.storage import ObjectStore
from spaceport_monitor.checks import stalled_result
from spaceport_monitor.links import LinkError, LinkSigner
from spaceport_monitor.repository import StoredAlert
from spaceport_monitor.settings import OPS_JOB_ID

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp"})


class StageView(BaseModel):
    """One stage on the timeline."""

    stage: str
    status: StageStatus
    started_at: datetime | None
    ended_at: datetime | None
    duration_s: float | None
    budget_s: float | None
    attempts: int
    progress: Progress | None


class ArtifactLink(BaseModel):
    """An artifact, linked through the monitor (a signed, expiring path)."""

    stage: str
    name: str
    url: str


class AlertView(BaseModel):
    """An alert about a job."""

    alert_id: str
    job_id: str
    system: bool = False
    """About the whole system (dead letters, failure rate), not one job."""
    criterion: str
    severity: Severity
    message: str
    observed: float | str | None
    expected: str
    at: datetime


class JobSummary(BaseModel):
    """A row of the job list."""

    job_id: str
    outcome: JobOutcome
    current_stage: str | None
    stalled: bool
    submitted_at: datetime | None
    last_event_at: datetime | None
    ended_at: datetime | None
    duration_s: float | None
    image_count: int | None
    criteria: list[CriterionResult]
    failed_criteria: list[str]


class JobList(BaseModel):
    """`GET /jobs`."""

    jobs: list[JobSummary]
    count: int


class JobDetail(JobSummary):
    """`GET /jobs/{id}`: the timeline, metrics, diagnostics, previews, the 3D view's source and alerts."""

    stages: list[StageView]
    options: JobOptions | None
    sfm: SfmMetrics | None
    training: TrainMetrics | None
    compression: CompressMetrics | None
    failure: Failure | None
    hints: tuple[str, ...] = ()
    skipped: tuple[SkippedInput, ...] = ()
    artifacts: list[ArtifactLink]
    previews: list[ArtifactLink]
    splat: ArtifactLink | None
    alerts: list[AlertView]
    event_count: int


def summarize(record: JobRecord, now: datetime, t: Thresholds) -> JobSummary:
    """The list row of a record; a running job past its stage budget shows its stall as a failed criterion."""
    criteria = list(record.criteria.values())
    stage = record.current_stage
    stall = stalled_result(stage, record.last_event_at, now, t) if stage and record.last_event_at else None
    stalled = stall is not None and stall.outcome == "fail"
    if stall is not None and stalled:
        criteria.append(stall)
    return JobSummary(
        job_id=record.job_id,
        outcome=record.outcome,
        current_stage=stage,
        stalled=stalled,
        submitted_at=record.submitted_at,
        last_event_at=record.last_event_at,
        ended_at=record.ended_at,
        duration_s=record.duration_s,
        image_count=record.image_count,
        criteria=criteria,
        failed_criteria=[c.name for c in criteria if c.outcome == "fail"],
    )


def _link(signer: LinkSigner, store: ObjectStore, stage: str, name: str, uri: str) -> ArtifactLink | None:
    try:
        return ArtifactLink(stage=stage, name=name, url=signer.link(store.key_of(uri)))
    except (ValueError, LinkError):
        return None  # not in this monitor's store: nothing to link to


def _previews(record: JobRecord, store: ObjectStore, signer: LinkSigner) -> list[ArtifactLink]:
    found = record.artifact("previews")
    if found is None:
        return []
    try:
        prefix = store.key_of(found.uri)
        keys = store.list_keys(prefix if prefix.endswith("/") else prefix + "/")
    except (ValueError, OSError):
        return []
    return [
        ArtifactLink(stage="trainer", name=PurePosixPath(k).name, url=signer.link(k))
        for k in keys
        if PurePosixPath(k).suffix.lower() in IMAGE_SUFFIXES
    ][:24]


def alert_view(stored: StoredAlert) -> AlertView:
    """The view of an alert the monitor raised."""
    d = stored.event.data
    return AlertView(
        alert_id=stored.event.id,
        job_id=stored.event.job_id,
        system=stored.event.job_id == OPS_JOB_ID,
        criterion=d.criterion,
        severity=d.severity,
        message=d.message,
        observed=d.observed,
        expected=d.expected,
        at=stored.created_at,
    )


def _alerts(record: JobRecord, stored: list[StoredAlert]) -> list[AlertView]:
    views = {s.event.id: alert_view(s) for s in stored}
    for note in record.alerts:
        views.setdefault(note.alert_id, AlertView(job_id=record.job_id, **note.model_dump()))
    return sorted(views.values(), key=lambda a: a.at)


def detail(
    record: JobRecord,
    now: datetime,
    t: Thresholds,
    store: ObjectStore,
    signer: LinkSigner,
    stored_alerts: list[StoredAlert],
) -> JobDetail:
    """The job page's data."""
    stages = [
        StageView(
            stage=s.stage,
            status=s.status,
            started_at=s.started_at,
            ended_at=s.ended_at,
            duration_s=s.duration_s,
            budget_s=t.stage_budget_s.get(s.stage),
            attempts=s.attempts,
            progress=s.progress,
        )
        for s in record.stages.values()
    ]
    links = [_link(signer, store, a.stage, a.name, a.uri) for a in record.artifacts if a.name != "previews"]
    artifacts = [link for link in links if link is not None]
    splat = next((a for name in ("lod", "sog", "meta") for a in artifacts if a.name == name), None)
    return JobDetail(
        **summarize(record, now, t).model_dump(),
        stages=stages,
        options=record.options,
        sfm=record.sfm,
        training=record.training,
        compression=record.compression,
        failure=record.failure,
        hints=record.hints,
        skipped=record.skipped,
        artifacts=artifacts,
        previews=_previews(record, store, signer),
        splat=splat,
        alerts=_alerts(record, stored_alerts),
        event_count=record.event_count,
    )
