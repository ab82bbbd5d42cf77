"""The periodic checks: stalled jobs, dead-letter queues and the failure rate, each alerting once."""

from datetime import timedelta

import pytest

from spaceport.bus import MemoryBus, QueueSpec
from spaceport.events import parse_event
from spaceport_monitor.settings import OPS_JOB_ID
from tests.unit.monitor.conftest import Harness, MakeHarness, recorded
from tests.unit.monitor.sequences import T0, images_ready, progress, trainer_failure

pytestmark = pytest.mark.unit


async def test_a_job_without_progress_for_five_minutes_is_stalled(make_harness: MakeHarness) -> None:
    """No event (progress included) for stall_after_s (300 s), well inside the 30-minute SfM budget: one
    `stalled_sfm` alert, published on the bus, and only once; progress before then keeps it quiet."""
    h = make_harness()
    ready = images_ready("job-slow")
    h.feed([ready, progress(ready, "sfm", 0.2, T0 + timedelta(seconds=200))])
    bus = MemoryBus()
    h.clock.now = T0 + timedelta(seconds=499)
    assert await h.monitor.sweep(bus, h.settings.criteria) == []
    h.clock.now = T0 + timedelta(seconds=501)
    alerts = await h.monitor.sweep(bus, h.settings.criteria)
    assert [(a.job_id, a.data.criterion, a.data.observed) for a in alerts] == [("job-slow", "stalled_sfm", 301.0)]
    assert "no progress for 301 s" in alerts[0].data.message
    assert [parse_event(body).id for key, body in bus.published] == [alerts[0].id]
    h.clock.now = T0 + timedelta(seconds=900)
    assert await h.monitor.sweep(bus, h.settings.criteria) == []


async def test_finished_jobs_never_stall(harness: Harness) -> None:
    """A job that ended is not checked for stalls, however long ago it ended."""
    harness.feed(recorded("success"))
    harness.clock.now = T0 + timedelta(days=3)
    assert await harness.monitor.sweep(MemoryBus(), harness.settings.criteria) == []


async def test_dead_letters_alert_once_per_episode(harness: Harness) -> None:
    """Messages in a DLQ alert once; once drained the alert clears, and a new dead letter alerts again."""
    bus = MemoryBus()
    spec = QueueSpec("sfm", ("images.ready",), delivery_limit=1)
    await bus.declare(spec)
    subscription = await bus.consume(spec, lambda delivery: delivery.reject(requeue=False))
    await bus.publish_raw("images.ready", b"{}")
    await bus.idle()
    first = await harness.monitor.sweep(bus, harness.settings.criteria)
    assert [(a.job_id, a.data.criterion, a.data.severity, a.data.observed) for a in first] == [
        (OPS_JOB_ID, "dead_letters_sfm", "critical", 1)
    ]
    assert await harness.monitor.sweep(bus, harness.settings.criteria) == []
    bus._queues[spec.queue].dead.clear()
    assert await harness.monitor.sweep(bus, harness.settings.criteria) == []
    await bus.publish_raw("images.ready", b"{}")
    await bus.idle()
    second = await harness.monitor.sweep(bus, harness.settings.criteria)
    await subscription.cancel()
    assert [a.data.criterion for a in second] == ["dead_letters_sfm"] and second[0].id != first[0].id
    assert harness.metrics.queue_depth.labels(queue="spaceport.sfm.dlq")._value.get() == 1


async def test_failure_rate_over_the_window(make_harness: MakeHarness) -> None:
    """Three failed jobs of four ended within the window exceed a 50% failure rate: one alert."""
    h = make_harness(min_jobs_for_failure_rate=4, failure_window_s=3600.0, max_failure_rate=0.5)
    for n in range(3):
        h.feed(trainer_failure(f"job-f{n}"))
    h.clock.now = T0 + timedelta(minutes=30)
    assert [a.data.criterion for a in await h.monitor.sweep(MemoryBus(), h.settings.criteria)] == []
    h.feed(recorded("success"))
    alerts = await h.monitor.sweep(MemoryBus(), h.settings.criteria)
    assert [(a.data.criterion, a.data.observed) for a in alerts] == [("failure_rate", 0.75)]
    h.clock.now = T0 + timedelta(hours=5)
    assert await h.monitor.sweep(MemoryBus(), h.settings.criteria) == []
