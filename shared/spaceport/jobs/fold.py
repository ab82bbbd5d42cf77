"""Folding events into a job record. Pure: the record is a function of the set of events and thresholds."""

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from spaceport.criteria import (
    CriterionResult,
    Thresholds,
    compression_results,
    duration_result,
    sfm_gate_result,
    sfm_results,
    stage_failed_result,
    training_results,
)
from spaceport.events import (
    Alert,
    Compressed,
    Envelope,
    ImagesReady,
    ModelTrained,
    SfmCompleted,
    SfmRejected,
    StageFailed,
    StageProgress,
)
from spaceport.jobs.record import (
    PIPELINE_STAGES,
    AlertNote,
    Artifact,
    Failure,
    JobOutcome,
    JobRecord,
    PipelineStage,
    Progress,
    StageStatus,
)

EventKey = tuple[str, int, str]
_RANK = {
    "images.ready": 0,
    "stage.progress": 1,
    "sfm.completed": 2,
    "sfm.rejected": 2,
    "model.trained": 3,
    "model.compressed": 4,
    "stage.failed": 5,
    "monitor.alert": 6,
}


def event_key(event: Envelope) -> EventKey:
    """Where an event sorts on its job's timeline: its time, then pipeline order, then id."""
    stamp = event.time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return stamp, _RANK.get(event.routing_key, 9), event.id


def fold(job_id: str, events: Iterable[Envelope], thresholds: Thresholds) -> JobRecord:
    """The record of a job from all its events, applied in timeline order."""
    record = JobRecord(job_id=job_id)
    for event in sorted(events, key=event_key):
        apply(record, event, thresholds)
    return record


def apply(record: JobRecord, event: Envelope, t: Thresholds) -> None:
    """Fold one event into `record` (in place). Events must come in `event_key` order."""
    key = event_key(event)
    record.event_count += 1
    if not isinstance(event, Alert):  # the monitor's own notes are not activity of the job
        record.first_event_at = _earliest(record.first_event_at, event.time)
        record.last_event_at = _latest(record.last_event_at, event.time)
    record.last_key = key if record.last_key is None else max(record.last_key, key)
    step = _STEPS.get(type(event))
    if step is not None:
        step(record, event, t)


def _earliest(current: datetime | None, new: datetime) -> datetime:
    return new if current is None or new < current else current


def _latest(current: datetime | None, new: datetime) -> datetime:
    return new if current is None or new > current else current


def _start(record: JobRecord, stage: PipelineStage, at: datetime) -> None:
    rec = record.stages[stage]
    rec.started_at = _earliest(rec.started_at, at)
    if rec.status == "pending":
        rec.status = "running"
    rec.attempts = max(rec.attempts, 1)


def _end(record: JobRecord, stage: PipelineStage, at: datetime, status: StageStatus, t: Thresholds) -> None:
    rec = record.stages[stage]
    rec.ended_at, rec.status = at, status
    rec.attempts = max(rec.attempts, 1)
    if rec.duration_s is not None:
        _judge(record, [duration_result(stage, rec.duration_s, t)])


def _finish(record: JobRecord, outcome: JobOutcome, at: datetime, t: Thresholds) -> None:
    record.outcome = outcome
    record.ended_at = at
    if outcome == "succeeded" and record.duration_s is not None:
        _judge(record, [duration_result("pipeline", record.duration_s, t)])


def _judge(record: JobRecord, results: Iterable[CriterionResult]) -> None:
    for result in results:
        record.criteria[result.name] = result


def _artifacts(record: JobRecord, stage: PipelineStage, named: dict[str, str | None]) -> None:
    for name, uri in named.items():
        if uri:
            record.artifacts = [a for a in record.artifacts if a.name != name]
            record.artifacts.append(Artifact(stage=stage, name=name, uri=uri))


def _on_images_ready(record: JobRecord, event: ImagesReady, t: Thresholds) -> None:
    record.submitted_at = _earliest(record.submitted_at, event.time)
    record.image_count = event.data.image_count
    record.input_kind = event.data.input_kind
    record.options = event.data.options
    _artifacts(record, "sfm", {"images": event.data.images_uri})
    _start(record, "sfm", event.time)


def _on_sfm_completed(record: JobRecord, event: SfmCompleted, t: Thresholds) -> None:
    data = event.data
    record.sfm, record.options = data.metrics, data.options
    record.hints, record.skipped = data.hints, data.skipped
    record.stages["sfm"].attempts = max(record.stages["sfm"].attempts, data.metrics.attempts)
    _artifacts(record, "sfm", {"sparse": data.sparse_uri, "sfm_report": data.report_uri})
    _judge(record, sfm_results(data.metrics, t))
    _end(record, "sfm", event.time, "done", t)
    _start(record, "trainer", event.time)


def _on_sfm_rejected(record: JobRecord, event: SfmRejected, t: Thresholds) -> None:
    data = event.data
    results = sfm_results(data.metrics, t) if data.metrics is not None else []
    if data.metrics is not None:
        record.sfm = data.metrics
        record.stages["sfm"].attempts = max(record.stages["sfm"].attempts, data.metrics.attempts)
    _judge(record, [*results, sfm_gate_result(data.reason, data.message)])
    _artifacts(record, "sfm", {"sfm_report": data.report_uri})
    record.rejection_reason = data.reason
    record.hints, record.skipped = data.hints, data.skipped
    record.failure = Failure(stage="sfm", reason=data.reason, message=data.message, hints=data.hints)
    _end(record, "sfm", event.time, "rejected", t)
    _finish(record, "rejected", event.time, t)


def _on_model_trained(record: JobRecord, event: ModelTrained, t: Thresholds) -> None:
    data = event.data
    record.training, record.options = data.metrics, data.options
    _artifacts(
        record,
        "trainer",
        {"ply": data.ply_uri, "trainer_report": data.report_uri, "previews": data.previews_uri},
    )
    _judge(record, training_results(data.metrics, t))
    _end(record, "trainer", event.time, "done", t)
    _start(record, "compressor", event.time)


def _on_compressed(record: JobRecord, event: Compressed, t: Thresholds) -> None:
    data = event.data
    record.compression = data.metrics
    named: dict[str, str | None] = {
        "sog": data.sog_uri,
        "meta": data.meta_uri,
        "lod": data.lod_uri,  # the streamed SOG's lod-meta.json, for large models
        "compressor_report": data.report_uri,
    }
    named.update({f"webp_{i}": uri for i, uri in enumerate(data.webp_uris)})
    named.update({f"export_{e.format}": e.uri for e in data.exports})  # scene.spz, scene.glb when asked for
    _artifacts(record, "compressor", named)
    _judge(record, compression_results(data.metrics, bool(data.meta_uri), t))
    _end(record, "compressor", event.time, "done", t)
    record.failure = None
    _finish(record, "succeeded", event.time, t)


def _on_stage_failed(record: JobRecord, event: StageFailed, t: Thresholds) -> None:
    data = event.data
    if data.stage not in PIPELINE_STAGES:
        return
    stage: PipelineStage = data.stage
    record.stages[stage].attempts = max(record.stages[stage].attempts, data.attempts)
    record.failure = Failure(
        stage=stage,
        reason=data.reason,
        message=data.message,
        retryable=data.retryable,
        attempts=data.attempts,
    )
    _judge(record, [stage_failed_result(stage, data.reason, data.message, data.attempts)])
    _end(record, stage, event.time, "failed", t)
    _finish(record, "failed", event.time, t)


def _on_stage_progress(record: JobRecord, event: StageProgress, t: Thresholds) -> None:
    data = event.data
    if data.stage not in PIPELINE_STAGES:
        return
    stage: PipelineStage = data.stage
    _start(record, stage, event.time)
    record.stages[stage].attempts = max(record.stages[stage].attempts, data.attempt)
    record.stages[stage].progress = Progress(
        fraction=data.fraction,
        step=data.step,
        message=data.message,
        eta_seconds=data.eta_seconds,
        figures=data.figures,
        at=event.time,
    )


def _on_alert(record: JobRecord, event: Alert, t: Thresholds) -> None:
    if any(note.alert_id == event.id for note in record.alerts):
        return
    data = event.data
    record.alerts.append(
        AlertNote(
            alert_id=event.id,
            criterion=data.criterion,
            severity=data.severity,
            message=data.message,
            observed=data.observed,
            expected=data.expected,
            at=event.time,
        )
    )


_STEPS: dict[type, Callable[[JobRecord, Any, Thresholds], None]] = {
    ImagesReady: _on_images_ready,
    SfmCompleted: _on_sfm_completed,
    SfmRejected: _on_sfm_rejected,
    ModelTrained: _on_model_trained,
    Compressed: _on_compressed,
    StageFailed: _on_stage_failed,
    StageProgress: _on_stage_progress,
    Alert: _on_alert,
}
