"""The loop every service runs: receive, validate, bind context, handle off-loop, publish, then ack.

Every delivery ends in an ack or a reject, whatever raises (the handler, storage, the broker): the runtime's
own storage and publish calls are retried in place (`retry.py`), anything still failing goes through retry
with backoff and, at the delivery limit, a StageFailed and the dead-letter queue. A delivery the broker makes
past the limit (earlier ones died unsettled: a worker killed on every attempt) ends in a `crash_loop`
StageFailed before anything runs. A redelivery of an event this process is still running is held until
that run ends (`execution.py`), and a lease in storage (`lease.py`) makes a duplicate on another host wait.
"""

import asyncio
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

import structlog

from spaceport.bus import Bus, Delivery, QueueSpec, Subscription
from spaceport.events import Envelope, EventError, StageFailed, StageFailedData, parse_event
from spaceport.runtime.context import StageContext
from spaceport.runtime.errors import Interrupted, PermanentError, StageError
from spaceport.runtime.execution import Executions, Outcome, OutcomeKind, remove_folder, run_folder
from spaceport.runtime.lease import Lease, holder_id
from spaceport.runtime.progress import ProgressRelay
from spaceport.runtime.retry import retry_blocking, retry_call
from spaceport.runtime.stage import StageSpec
from spaceport.settings import Settings
from spaceport.storage import COMPLETION_RECORD, ObjectNotFound, ObjectStore, job_key

log = structlog.get_logger(__name__)
UNKNOWN_JOB = "unknown"
LEASE_POLL_S = 2.0
T = TypeVar("T")


@dataclass
class HeldDelivery:
    """A delivery this worker holds: whose, since when, and when its handler last reported progress."""

    job_id: str
    event_id: str
    since: float
    last_progress: float


class Worker:
    """Runs one stage on one bus and one store. Several workers may share a queue (competing consumers)."""

    def __init__(self, spec: StageSpec, bus: Bus, store: ObjectStore, settings: Settings) -> None:
        self.spec, self.bus, self.store, self.settings = spec, bus, store, settings
        self.consumes = frozenset(spec.consumes)  # from the handler's signature: a handler without one fails here
        self.queue = QueueSpec(
            service=spec.name,
            bindings=spec.routing_patterns,
            prefetch=settings.prefetch or spec.prefetch,
            delivery_limit=settings.delivery_limit,
            namespace=settings.exchange,
        )
        self.cancel = threading.Event()
        self.handled = 0
        self.failed = 0
        self.held: dict[int, HeldDelivery] = {}
        self.executions = Executions()
        self.holder = holder_id()
        self.progress = ProgressRelay(bus, spec.name, self.held)
        self._idle = asyncio.Event()
        self._idle.set()
        self._subscription: Subscription | None = None

    @property
    def in_flight(self) -> int:
        """Deliveries held and not yet settled."""
        return len(self.held)

    @property
    def current_jobs(self) -> set[str]:
        """The jobs of the deliveries held."""
        return {h.job_id for h in self.held.values()}

    async def start(self) -> None:
        """Declare the queue and start consuming."""
        self.progress.loop = asyncio.get_running_loop()
        self._subscription = await self.bus.consume(self.queue, self.on_delivery)
        log.info("worker_started", service=self.spec.name, queue=self.queue.queue, prefetch=self.queue.prefetch)

    async def stop(self, grace_s: float | None = None) -> bool:
        """Stop taking work, let the current job finish within `grace_s`; True when nothing is left."""
        grace = self.settings.shutdown_grace_s if grace_s is None else grace_s
        if self._subscription is not None:
            await self._subscription.cancel()
            self._subscription = None
        try:
            await asyncio.wait_for(self._idle.wait(), timeout=grace)
        except TimeoutError:
            self.cancel.set()
            log.warning("worker_interrupting", in_flight=self.in_flight, jobs=sorted(self.current_jobs))
            try:
                await asyncio.wait_for(self._idle.wait(), timeout=max(grace, 5.0))
            except TimeoutError:
                return False
        log.info("worker_stopped", service=self.spec.name, handled=self.handled, failed=self.failed)
        return True

    async def on_delivery(self, delivery: Delivery) -> None:
        """Handle one message end to end; it is acked or rejected whatever raises."""
        token = id(delivery)
        now = time.monotonic()
        self.held[token] = HeldDelivery(UNKNOWN_JOB, "", now, now)
        self._idle.clear()
        try:
            await self._process(delivery, token)
        except asyncio.CancelledError:
            log.warning("delivery_abandoned", reason="the consumer was cancelled (channel closed or stopping)")
            raise
        except Exception as exc:
            log.error("delivery_failed", error=f"{type(exc).__name__}: {exc}", exc_info=exc)
            await self._give_back(delivery, self._backoff(delivery.delivery_count))
        finally:
            self.held.pop(token, None)
            if not self.held:
                self._idle.set()

    async def _process(self, delivery: Delivery, token: int) -> None:
        try:
            event = parse_event(delivery.body)
        except EventError as exc:
            await self._reject_malformed(delivery, exc)
            return
        self.held[token].job_id, self.held[token].event_id = event.job_id, event.id
        with structlog.contextvars.bound_contextvars(
            job_id=event.job_id, event_id=event.id, service=self.spec.name, event_type=event.type
        ):
            if event.type not in self.consumes:
                log.warning("event_ignored", reason="not consumed by this stage")
                await delivery.ack()
                return
            await self._handle(event, delivery)

    async def _handle(self, event: Envelope, delivery: Delivery) -> None:
        attempt = delivery.delivery_count
        if attempt > self.queue.delivery_limit:
            await self._crash_loop(event, delivery, attempt)
            return
        earlier = await self.executions.wait(event.id)  # a redelivery while this process still runs it
        if earlier is not None and earlier.settled_by_outputs:
            log.info("redelivery_settled_by_earlier_run", outputs=[o.type for o in earlier.outputs])
            await delivery.ack()
            return
        lease: Lease | None = None
        if self.spec.records_results:
            turn = await self._wait_turn(event)
            if not isinstance(turn, Lease):
                log.info("result_republished", events=len(turn))
                await self._publish_all(turn)
                await delivery.ack()
                return
            lease = turn
        run = asyncio.create_task(self._run(event, attempt, lease), name=f"run-{event.id[:12]}")
        self.executions.start(event.id, run)
        outcome = await asyncio.shield(run)
        await self._settle(event, delivery, outcome, attempt)

    async def _wait_turn(self, event: Envelope) -> Lease | list[Envelope]:
        """The recorded result of an earlier run, or the lease to run it here (waiting while another holds it)."""
        lease = Lease(
            self.store, event.job_id, self.spec.name, self.holder, self.settings.lease_s, self.settings.lease_settle_s
        )
        waiting = False
        while True:
            recorded = await self._io(lambda: self._recorded_result(event), "completion record")
            if recorded is not None:
                return recorded
            other = await self._io(lambda: lease.try_acquire(event.id), "lease")
            if other is None:
                return lease
            if self.cancel.is_set():
                raise Interrupted("worker is shutting down while another worker holds the job")
            if not waiting:
                log.info("held_by_another_worker", holder=other, poll_s=LEASE_POLL_S)
                waiting = True
            await asyncio.sleep(LEASE_POLL_S)

    async def _run(self, event: Envelope, attempt: int, lease: Lease | None) -> Outcome:
        """The handler, then the result recorded and published; it outlives its delivery (see execution.py)."""
        ctx = self._context(event, attempt)
        renewal = asyncio.create_task(self._renew(lease, event)) if lease is not None else None
        log.info("handling", attempt=attempt, work_dir=str(ctx.work_dir))
        try:
            kind: OutcomeKind = "done"
            try:
                outputs = list(await asyncio.to_thread(self.spec.handle, event, ctx))
            except Interrupted as exc:
                log.warning("handler_interrupted", reason=exc.message)
                return Outcome("interrupted", error=exc)
            except PermanentError as exc:
                log.warning("handler_failed_permanently", reason=exc.reason, message=exc.message)
                outputs, kind = [self._failure(event, exc.reason, exc.message, False, attempt)], "failed"
            except Exception as exc:
                return Outcome("error", error=exc)
            try:
                if self.spec.records_results:
                    await self._io(lambda: self._record_result(event, outputs), "completion record")
                await self._publish_all(outputs)
            except Exception as exc:
                return Outcome("error", error=exc)
            return Outcome(kind, tuple(outputs), published=True)
        finally:
            if renewal is not None:
                renewal.cancel()
            if lease is not None:
                await self._best_effort(lease.release, "lease release")
            remove_folder(ctx.work_dir)

    async def _renew(self, lease: Lease, event: Envelope) -> None:
        while True:
            await asyncio.sleep(lease.ttl_s / 3)
            await self._best_effort(lambda: lease.renew(event.id), "lease renewal")

    async def _settle(self, event: Envelope, delivery: Delivery, outcome: Outcome, attempt: int) -> None:
        if outcome.settled_by_outputs:
            if outcome.kind == "done":
                self.handled += 1
            else:
                self.failed += 1
            await delivery.ack()
            log.info("handled", outputs=[o.type for o in outcome.outputs])
        elif outcome.kind == "interrupted":
            await delivery.reject(requeue=True)
        else:
            assert outcome.error is not None
            await self._retry_or_dead_letter(event, delivery, outcome.error, attempt)

    async def _retry_or_dead_letter(
        self, event: Envelope, delivery: Delivery, exc: BaseException, attempt: int
    ) -> None:
        reason = exc.reason if isinstance(exc, StageError) else "handler_error"
        message = exc.message if isinstance(exc, StageError) else f"{type(exc).__name__}: {exc}"
        if attempt >= self.queue.delivery_limit:
            self.failed += 1
            log.error("handler_gave_up", reason=reason, message=message, attempt=attempt, exc_info=exc)
            text = f"gave up after {attempt} attempts: {message}"
            await self._publish_all([self._failure(event, "delivery_limit_exceeded", text, True, attempt)])
            await delivery.reject(requeue=False)
            return
        backoff = self._backoff(attempt)
        log.warning(
            "handler_failed_will_retry",
            reason=reason,
            message=message,
            attempt=attempt,
            backoff_s=backoff,
            exc_info=exc,
        )
        await self._give_back(delivery, backoff)

    async def _crash_loop(self, event: Envelope, delivery: Delivery, attempt: int) -> None:
        """A delivery past the limit: the earlier ones died unsettled (killed worker, lost connection)."""
        earlier = attempt - 1
        self.failed += 1
        log.error("crash_loop", attempts=earlier, limit=self.queue.delivery_limit)
        message = (
            f"{earlier} deliveries ended without a result (the worker died or lost its broker connection each "
            f"time, e.g. killed for memory); not running it again"
        )
        await self._publish_all([self._failure(event, "crash_loop", message, False, earlier)])
        await delivery.reject(requeue=False)

    async def _give_back(self, delivery: Delivery, backoff: float) -> None:
        """Requeue after `backoff`; a reject that cannot reach the broker is left to its redelivery."""
        await asyncio.sleep(backoff)
        try:
            await delivery.reject(requeue=True)
        except Exception as exc:
            log.warning("settle_failed", error=f"{type(exc).__name__}: {exc}", note="the broker redelivers it")

    def _backoff(self, attempt: int) -> float:
        """Seconds to hold a failed message before giving it back."""
        return float(min(self.settings.retry_backoff_s * 2 ** (attempt - 1), 30.0))

    async def _reject_malformed(self, delivery: Delivery, exc: EventError) -> None:
        job_id = exc.job_id or UNKNOWN_JOB
        if not self.spec.owns_malformed:
            log.warning("malformed_event_ignored", reason=exc.reason, job_id=job_id, routing_key=delivery.routing_key)
            await delivery.ack()
            return
        self.failed += 1
        log.error(
            "event_rejected",
            reason=exc.reason,
            message=str(exc),
            job_id=job_id,
            routing_key=delivery.routing_key,
            service=self.spec.name,
        )
        failure = StageFailed(
            source=self.spec.name,
            job_id=job_id,
            causation_id=exc.event_id,
            data=StageFailedData(stage=self.spec.name, reason=exc.reason, message=str(exc)[:2000]),
        )
        await self._publish_all([failure])
        await delivery.reject(requeue=False)

    def _failure(self, event: Envelope, reason: str, message: str, retryable: bool, attempt: int) -> StageFailed:
        data = StageFailedData(
            stage=self.spec.name, reason=reason, message=message[:2000], retryable=retryable, attempts=attempt
        )
        return event.answered_by(StageFailed, self.spec.name, data=data)

    def _context(self, event: Envelope, attempt: int) -> StageContext:
        return StageContext(
            stage=self.spec.name,
            event=event,
            store=self.store,
            work_dir=run_folder(self.settings.work_dir, self.spec.name, event.job_id, event.id),
            settings=self.settings,
            attempt=attempt,
            cancel=self.cancel,
            progress_sink=lambda data: self.progress.send(event, data),
        )

    async def _io(self, call: Callable[[], T], what: str) -> T:
        """A blocking storage call, retried in place for up to `infra_retry_s`."""
        return await retry_blocking(call, what, self.settings.infra_retry_s, self.cancel.is_set)

    async def _best_effort(self, call: Callable[[], object], what: str) -> None:
        try:
            await asyncio.to_thread(call)
        except Exception as exc:
            log.warning("best_effort_failed", what=what, error=f"{type(exc).__name__}: {exc}")

    def _record_key(self, event: Envelope) -> str:
        return job_key(event.job_id, self.spec.name, COMPLETION_RECORD)

    def _recorded_result(self, event: Envelope) -> list[Envelope] | None:
        try:
            raw = self.store.get_bytes(self._record_key(event))
        except ObjectNotFound:
            return None
        record = json.loads(raw)
        return [parse_event(json.dumps(item)) for item in record["events"]]

    def _record_result(self, event: Envelope, outputs: Sequence[Envelope]) -> None:
        record = {"consumed": event.id, "stage": self.spec.name, "events": [json.loads(o.to_json()) for o in outputs]}
        self.store.put_bytes(self._record_key(event), json.dumps(record, indent=1).encode())

    async def _publish_all(self, events: Sequence[Envelope]) -> None:
        """Publish each event with confirms, retried in place for up to `infra_retry_s`."""
        for event in events:
            await retry_call(
                partial(self.bus.publish, event),
                f"publish {event.type}",
                self.settings.infra_retry_s,
                self.cancel.is_set,
            )
