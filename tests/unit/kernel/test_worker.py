"""The stage runtime on the in-memory bus: results, failures, retries, dead letters, idempotency, shutdown."""

import asyncio
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import structlog

from spaceport.bus import Delivery, MemoryBus
from spaceport.events import (
    Envelope,
    ImagesReady,
    ImagesReadyData,
    SfmRejected,
    SfmRejectedData,
    StageFailed,
    parse_event,
)
from spaceport.runtime import PermanentError, StageContext, StageSpec, Worker
from spaceport.settings import Settings
from spaceport.storage import COMPLETION_RECORD, LocalStore

pytestmark = pytest.mark.unit


def images_ready(job_id: str, count: int = 3) -> ImagesReady:
    """A job's first event."""
    return ImagesReady(source="client", job_id=job_id, data=ImagesReadyData(images_uri="file:///x/", image_count=count))


def rejected(event: ImagesReady, ctx: StageContext) -> list[Envelope]:
    """A handler that always answers with an SfmRejected."""
    ctx.progress(0.5, "halfway")
    return [event.answered_by(SfmRejected, "sfm", data=SfmRejectedData(reason="too_few_points", message="m"))]


class Harness:
    """A worker on a memory bus, with a tap that records every published event."""

    def __init__(
        self,
        handle: Callable[[ImagesReady, StageContext], list[Envelope]],
        settings: Settings,
        store: LocalStore,
    ) -> None:
        self.bus = MemoryBus()
        self.store = store
        self.worker = Worker(StageSpec("sfm", handle), self.bus, store, settings)
        self.seen: list[Envelope] = []

    async def start(self) -> "Harness":
        async def tap(delivery: Delivery) -> None:
            await delivery.ack()
            self.seen.append(parse_event(delivery.body))

        await self.bus.watch(("#",), tap)
        await self.worker.start()
        return self

    async def settle(self, seconds: float = 0.3, timeout: float = 10.0) -> None:
        """Wait until the queue is empty and the worker holds nothing (retries included), then `seconds` more."""
        deadline = time.monotonic() + timeout
        await asyncio.sleep(0.05)
        while True:
            await self.bus.idle()
            if self.worker.in_flight == 0 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(seconds)

    def of_type(self, kind: str) -> list[Envelope]:
        return [e for e in self.seen if e.type == kind]


async def test_handler_result_is_recorded_then_published(settings: Settings, local_store: LocalStore) -> None:
    """A handled event's outputs are written to the completion record and published, with progress."""
    h = await Harness(rejected, settings, local_store).start()
    event = images_ready("job-1")
    await h.bus.publish(event)
    await h.settle()
    [result] = h.of_type("sfm.rejected")
    assert result.causation_id == event.id
    record = json.loads(local_store.get_bytes(f"jobs/job-1/sfm/{COMPLETION_RECORD}"))
    assert [e["id"] for e in record["events"]] == [result.id]
    assert h.of_type("stage.progress")[0].data.fraction == 0.5  # type: ignore[attr-defined]


async def test_repeated_event_republishes_the_recorded_result(settings: Settings, local_store: LocalStore) -> None:
    """An event for a stage already completed re-publishes the same result instead of redoing the work."""
    calls: list[str] = []

    def counting(event: ImagesReady, ctx: StageContext) -> list[Envelope]:
        calls.append(event.id)
        return rejected(event, ctx)

    h = await Harness(counting, settings, local_store).start()
    event = images_ready("job-2")
    await h.bus.publish(event)
    await h.settle()
    await h.bus.publish(event)
    await h.settle()
    results = h.of_type("sfm.rejected")
    assert len(calls) == 1 and len(results) == 2 and results[0].id == results[1].id


async def test_permanent_error_publishes_stage_failed_and_acks(settings: Settings, local_store: LocalStore) -> None:
    """A PermanentError becomes one StageFailed with its reason; the message is not retried or dead-lettered."""
    calls = []

    def bad_input(event: ImagesReady, ctx: StageContext) -> list[Envelope]:
        calls.append(1)
        raise PermanentError("no photos in the folder", "no_images")

    h = await Harness(bad_input, settings, local_store).start()
    await h.bus.publish(images_ready("job-3"))
    await h.settle()
    [failed] = h.of_type("stage.failed")
    assert isinstance(failed, StageFailed)
    assert (failed.data.reason, failed.data.retryable, failed.data.stage) == ("no_images", False, "sfm")
    assert len(calls) == 1 and h.bus.dead_letters("sfm") == []


async def test_handler_that_always_raises_ends_in_dead_letters(settings: Settings, local_store: LocalStore) -> None:
    """An unexpected error is retried up to the delivery limit, then dead-lettered with one StageFailed."""
    attempts: list[int] = []

    def crashing(event: ImagesReady, ctx: StageContext) -> list[Envelope]:
        attempts.append(ctx.attempt)
        raise RuntimeError("bug")

    h = await Harness(crashing, settings.model_copy(update={"delivery_limit": 3}), local_store).start()
    await h.bus.publish(images_ready("job-4"))
    await h.settle(0.5)
    [failed] = h.of_type("stage.failed")
    assert attempts == [1, 2, 3]
    assert failed.data.reason == "delivery_limit_exceeded" and "RuntimeError: bug" in failed.data.message  # type: ignore[attr-defined]
    assert len(h.bus.dead_letters("sfm")) == 1


async def test_malformed_payload_is_dead_lettered_with_stage_failed(
    settings: Settings, local_store: LocalStore
) -> None:
    """A body that fails validation goes to the DLQ at once and a StageFailed names the job it claimed."""
    h = await Harness(rejected, settings, local_store).start()
    await h.bus.publish_raw("images.ready", b'{"type": "images.ready", "job_id": "job-5", "data": {}}')
    await h.bus.publish_raw("images.ready", b"\xff not json")
    await h.settle()
    failures = h.of_type("stage.failed")
    assert sorted(f.job_id for f in failures) == ["job-5", "unknown"]
    assert {f.data.reason for f in failures} == {"malformed_event"}  # type: ignore[attr-defined]
    assert len(h.bus.dead_letters("sfm")) == 2


async def test_an_observer_of_every_key_leaves_poison_messages_to_their_stage(
    settings: Settings, local_store: LocalStore
) -> None:
    """A stage that does not own malformed messages (the monitor, bound to `#`) acks them: no second dead
    letter and no second StageFailed for one poison message."""
    bus = MemoryBus()
    observer = StageSpec("monitor", rejected, bindings=("#",), records_results=False, owns_malformed=False)
    worker = Worker(observer, bus, local_store, settings)
    await worker.start()
    await bus.publish_raw("images.ready", b'{"type": "images.ready", "job_id": "job-5", "data": {}}')
    await bus.idle()
    await asyncio.sleep(0.2)
    assert bus.dead_letters("monitor") == []
    assert [key for key, _ in bus.published] == ["images.ready"]
    await worker.stop(grace_s=1)


async def test_handler_runs_off_the_event_loop_with_log_context(settings: Settings, local_store: LocalStore) -> None:
    """The handler runs in a worker thread with job_id, event_id and service bound in the log context."""
    seen: dict[str, object] = {}

    def inspecting(event: ImagesReady, ctx: StageContext) -> list[Envelope]:
        seen["thread"] = threading.current_thread() is threading.main_thread()
        seen["context"] = structlog.contextvars.get_contextvars()
        seen["work_dir"] = ctx.work_dir.is_dir()
        return []

    h = await Harness(inspecting, settings, local_store).start()
    event = images_ready("job-6")
    await h.bus.publish(event)
    await h.settle()
    assert seen["thread"] is False and seen["work_dir"] is True
    assert seen["context"] == {
        "job_id": "job-6",
        "event_id": event.id,
        "service": "sfm",
        "event_type": "images.ready",
    }


async def test_events_the_stage_does_not_consume_are_acked_and_ignored(
    settings: Settings, local_store: LocalStore
) -> None:
    """A valid event of another type reaching the queue is acknowledged without calling the handler."""
    calls = []

    def counting(event: ImagesReady, ctx: StageContext) -> list[Envelope]:
        calls.append(1)
        return []

    h = Harness(counting, settings, local_store)
    h.worker.queue = h.worker.queue.__class__("sfm", ("#",))
    await h.start()
    await h.bus.publish(
        rejected(images_ready("job-7"), StageContext("sfm", images_ready("x"), local_store, Path("."), settings))[0]
    )
    await h.settle()
    assert calls == [] and h.bus.dead_letters("sfm") == []


async def test_stop_waits_for_the_current_job(settings: Settings, local_store: LocalStore) -> None:
    """Stopping stops taking work but lets the job in hand finish and publish its result."""

    def slow(event: ImagesReady, ctx: StageContext) -> list[Envelope]:
        time.sleep(0.5)
        return rejected(event, ctx)

    h = await Harness(slow, settings, local_store).start()
    await h.bus.publish(images_ready("job-8"))
    await asyncio.sleep(0.1)
    await h.bus.publish(images_ready("job-9"))
    assert await h.worker.stop(grace_s=5) is True
    await asyncio.sleep(0.1)
    assert [e.job_id for e in h.of_type("sfm.rejected")] == ["job-8"]
    assert await h.bus.queue_depth("spaceport.sfm") == 1


async def test_stop_past_grace_interrupts_and_requeues(settings: Settings, local_store: LocalStore) -> None:
    """A job that outlasts the grace period is interrupted at its next check and goes back to the queue."""

    def long(event: ImagesReady, ctx: StageContext) -> list[Envelope]:
        while True:
            ctx.check_cancelled()
            time.sleep(0.02)

    h = await Harness(long, settings, local_store).start()
    await h.bus.publish(images_ready("job-10"))
    await asyncio.sleep(0.1)
    assert await h.worker.stop(grace_s=0.2) is True
    assert h.of_type("stage.failed") == [] and await h.bus.queue_depth("spaceport.sfm") == 1


def test_a_handler_signature_is_its_routing() -> None:
    """What a stage consumes comes from its handler's annotation: one event class, a union, or every event type
    for `Envelope`; a handler without an event annotation is refused."""
    from spaceport.events import EVENT_CLASSES, ModelTrained, SfmCompleted
    from spaceport.runtime.stage import HandlerContractError, consumed_types

    def one(event: SfmCompleted, ctx: StageContext) -> list[Envelope]:
        return []

    def either(event: SfmCompleted | ModelTrained, ctx: StageContext) -> list[Envelope]:
        return []

    def everything(event: Envelope, ctx: StageContext) -> list[Envelope]:
        return []

    def untyped(event, ctx):  # type: ignore[no-untyped-def]  # the case under test: no annotation
        return []

    assert StageSpec("trainer", one).consumes == ("sfm.completed",)
    assert consumed_types(either) == ("sfm.completed", "model.trained")
    assert consumed_types(everything) == tuple(EVENT_CLASSES)
    with pytest.raises(HandlerContractError, match="no annotated event parameter"):
        consumed_types(untyped)
