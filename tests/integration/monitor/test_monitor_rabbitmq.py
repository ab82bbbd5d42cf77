"""The monitor on a real RabbitMQ and PostgreSQL: records, exactly-once alerts and webhooks, stalls."""

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from tests.integration.monitor.conftest import StartMonitor, WebhookServer
from tests.unit.monitor.sequences import images_ready, success

pytestmark = pytest.mark.integration


def _job(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def test_published_events_end_up_in_the_record(start_monitor: StartMonitor) -> None:
    """A job's events published on the broker (one twice) fold into one succeeded record in PostgreSQL."""
    job = _job("it-ok")
    events = success(job)
    async with start_monitor() as m:
        for event in [*events, events[2]]:
            await m.publisher.publish(event)
        repo = m.service.api.repo
        await m.wait_for(lambda: (r := repo.get(job)) is not None and r.outcome == "succeeded" and r.event_count == 7)
        record = repo.get(job)
    assert record is not None
    assert [s.status for s in record.stages.values()] == ["done", "done", "done"]
    assert record.stages["trainer"].duration_s == 1380.0
    assert record.failed_criteria == [] and m.alerts == []


async def test_a_breach_makes_exactly_one_alert_and_one_webhook_call(
    start_monitor: StartMonitor, webhook: WebhookServer
) -> None:
    """A too-small model, its event redelivered and a second result breaching the same criterion: one Alert
    event on the bus and one webhook POST."""
    job = _job("it-small")
    events = success(job, model_bytes=50_000)
    trained = events[4]
    again = trained.model_copy(update={"id": f"{job}-trained-again"})
    async with start_monitor() as m:
        for event in [*events, trained, again]:
            await m.publisher.publish(event)
        await m.wait_for(lambda: len(m.alerts) >= 1 and len(webhook.bodies) >= 1)
        await asyncio.sleep(1.5)  # time for any second alert or call to show up
        record = m.service.api.repo.get(job)
    assert [(a.job_id, a.data.criterion, a.data.severity, a.data.observed) for a in m.alerts] == [
        (job, "model_size", "critical", 50_000.0)
    ]
    assert len(webhook.bodies) == 1
    assert str(webhook.bodies[0]["text"]).startswith(f"[critical] model_size on job {job}")
    assert record is not None and [n.criterion for n in record.alerts] == ["model_size"]


async def test_a_stalled_job_is_detected(start_monitor: StartMonitor, webhook: WebhookServer) -> None:
    """A job with no event for longer than its stage budget raises one `stalled_sfm` alert."""
    job = _job("it-stall")
    async with start_monitor(stage_budget_s={"sfm": 1.0, "trainer": 60.0, "compressor": 60.0}) as m:
        await m.publisher.publish(images_ready(job, datetime.now(UTC)))
        await m.wait_for(lambda: any(a.job_id == job for a in m.alerts), timeout_s=15)
        await asyncio.sleep(1.0)
    stalls = [a for a in m.alerts if a.job_id == job]
    assert [(a.data.criterion, a.data.severity) for a in stalls] == [("stalled_sfm", "warning")]
    assert float(stalls[0].data.observed or 0) >= 1.0  # alerted only past 1 s; shown to 0.1 s
    assert [b["attachments"][0]["fields"][1]["value"] for b in webhook.bodies] == ["stalled_sfm"]  # type: ignore[index]
