"""Recorded event sequences folded into job records: outcomes, timelines, criteria, alerts."""

import random

import pytest

from spaceport.jobs.fold import fold
from tests.unit.monitor.conftest import Harness, MakeHarness, recorded
from tests.unit.monitor.sequences import success

pytestmark = pytest.mark.unit


def test_success_sequence_gives_a_complete_passing_record(harness: Harness) -> None:
    """A full job ends `succeeded` with every stage timed, every criterion passing and no alert."""
    alerts = harness.feed(recorded("success"))
    record = harness.repo.get("job-ok")
    assert record is not None and alerts == []
    assert record.outcome == "succeeded" and record.current_stage is None
    assert [s.status for s in record.stages.values()] == ["done", "done", "done"]
    assert [s.duration_s for s in record.stages.values()] == [120.0, 1380.0, 100.0]
    assert record.duration_s == 1600.0
    assert record.failed_criteria == []
    expected = {
        "sfm_points",
        "sfm_registered",
        "model_size",
        "training_steps",
        "gaussian_count",
        "heldout_psnr",
        "sog_outputs",
        "fidelity_position",
        "fidelity_psnr_drop",
        "duration_sfm",
        "duration_trainer",
        "duration_compressor",
        "duration_pipeline",
    }
    assert expected <= set(record.criteria)
    assert record.criteria["sfm_points"].observed == 12_000
    assert {a.name for a in record.artifacts} >= {
        "images",
        "sparse",
        "ply",
        "previews",
        "sog",
        "meta",
        "webp_4",
    }
    assert record.event_count == 7


def test_rejected_sequence_raises_one_alert_naming_the_reason(harness: Harness) -> None:
    """SfmRejected ends the job `rejected` and fails the SfM criteria, but raises one warning: `sfm_gate`,
    whose observed value is the rejection's reason code and whose message is the rejection's."""
    alerts = harness.feed(recorded("rejected"))
    record = harness.repo.get("job-rejected")
    assert record is not None
    assert record.outcome == "rejected" and record.stages["sfm"].status == "rejected"
    assert record.stages["trainer"].status == "pending"
    assert record.failure is not None and record.failure.hints == ("take more photos with overlap",)
    assert {c.name for c in record.failed_criteria} == {"sfm_points", "sfm_registered", "sfm_gate"}
    [gate] = alerts
    assert gate.data.criterion == "sfm_gate" and gate.data.severity == "warning"
    assert gate.data.observed == "too_few_points"
    assert (
        gate.data.message
        == "SfM rejected the photos (too_few_points): reconstructed 300 3D points (need at least 1000)"
    )
    assert gate.causation_id == "job-rejected-rejected" and gate.job_id == "job-rejected"


def test_trainer_failure_raises_one_critical_alert(harness: Harness) -> None:
    """A StageFailed from the trainer fails the job at that stage and raises a critical `stage_failed`."""
    alerts = harness.feed(recorded("trainer_failure"))
    record = harness.repo.get("job-failed")
    assert record is not None
    assert record.outcome == "failed"
    assert record.stages["trainer"].status == "failed" and record.stages["trainer"].attempts == 3
    assert record.stages["compressor"].status == "pending"
    assert [(a.data.criterion, a.data.severity, a.data.observed) for a in alerts] == [
        ("stage_failed", "critical", "delivery_limit_exceeded")
    ]


def test_duplicate_events_change_nothing(harness: Harness) -> None:
    """Every event delivered twice gives the same record as once, and no second alert."""
    events = recorded("rejected")
    first = harness.feed(events)
    once = harness.repo.get("job-rejected")
    again = harness.feed(events)
    assert again == [] and len(first) == 1
    assert harness.repo.get("job-rejected") == once
    assert len(harness.repo.alerts("job-rejected")) == 1


def test_out_of_order_arrival_gives_the_in_order_record(make_harness: MakeHarness) -> None:
    """Any arrival order of a job's events folds to the record of the in-order sequence."""
    in_order = make_harness()
    in_order.feed(recorded("success"))
    expected = in_order.repo.get("job-ok")
    for seed in (1, 2, 3):
        shuffled = recorded("success")
        random.Random(seed).shuffle(shuffled)
        other = make_harness()
        other.feed(shuffled)
        assert other.repo.get("job-ok") == expected, f"seed {seed}"


def test_late_progress_does_not_reopen_a_finished_job(harness: Harness) -> None:
    """A progress event that arrives after the result (but happened before it) leaves the job succeeded."""
    events = recorded("success")
    late = events.pop(5)  # the compressor's progress
    harness.feed(events)
    harness.feed([late])
    record = harness.repo.get("job-ok")
    assert record is not None and record.outcome == "succeeded"
    assert record.stages["compressor"].progress is not None
    assert record.stages["compressor"].progress.fraction == 0.9


def test_fold_matches_incremental_recording(harness: Harness) -> None:
    """The stored record equals a pure fold of the same events."""
    events = recorded("trainer_failure")
    harness.feed(events)
    assert harness.repo.get("job-failed") == fold("job-failed", events, harness.settings.criteria)


def test_breach_alerts_once_per_job_and_criterion(harness: Harness) -> None:
    """A small model alerts once; a second ModelTrained (a new id) breaching the same criterion does not."""
    events = success("job-small", model_bytes=50_000)
    alerts = harness.feed(events)
    assert [(a.data.criterion, a.data.severity, a.data.observed) for a in alerts] == [
        ("model_size", "critical", 50_000)
    ]
    retrained = events[4].model_copy(update={"id": "job-small-trained-again"})
    assert harness.feed([retrained]) == []


def test_configured_thresholds_are_used(make_harness: MakeHarness) -> None:
    """Thresholds from settings decide: a floor of 20 000 points fails a 12 000-point reconstruction."""
    h = make_harness(criteria={"min_points": 20_000})
    alerts = h.feed(recorded("success"))
    assert [a.data.criterion for a in alerts] == ["sfm_points"]
    assert alerts[0].data.expected == ">= 20,000"


def test_own_alerts_are_recorded_without_a_loop(harness: Harness) -> None:
    """The monitor's Alert events coming back on `#` are noted on the job and raise nothing new."""
    alerts = harness.feed(recorded("trainer_failure"))
    before = harness.repo.get("job-failed")
    later = [a.model_copy(update={"time": a.time.replace(year=2027)}) for a in alerts]
    assert harness.feed(later) == []
    record = harness.repo.get("job-failed")
    assert record is not None
    assert [note.criterion for note in record.alerts] == ["stage_failed"]
    assert record.outcome == "failed"
    assert before is not None and record.last_event_at == before.last_event_at


def test_redelivery_republishes_the_same_alert(harness: Harness) -> None:
    """A redelivery (alerts unconfirmed) returns the same Alert ids again; a plain duplicate returns none."""
    events = recorded("trainer_failure")
    first = harness.feed(events)
    assert harness.feed(events[-1:], attempt=1) == []
    again = harness.feed(events[-1:], attempt=2)
    assert [a.id for a in again] == [a.id for a in first]


def test_extra_formats_become_artifacts() -> None:
    """A Compressed event naming a scene.spz export lists it among the job's artifacts (the dashboard links them)."""
    from spaceport.criteria import Thresholds
    from spaceport.events import Compressed
    from tests.unit.kernel.samples import JOB, sample_events

    events = [e for e in sample_events() if e.job_id == JOB]
    compressed = next(e for e in events if isinstance(e, Compressed))
    record = fold(JOB, events, Thresholds())
    spz = next(a for a in record.artifacts if a.name == "export_spz")
    assert spz.uri == compressed.data.exports[0].uri and spz.stage == "compressor"
