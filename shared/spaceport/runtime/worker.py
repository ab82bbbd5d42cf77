"""The loop every service runs: receive, validate, bind context, handle off-loop, publish, then ack."""

import asyncio
import json
import shutil
import threading
from collections.abc import Sequence

import structlog

from spaceport.bus import Bus, Delivery, QueueSpec, Subscription
from spaceport.events import (
    Envelope,
    EventError,
    StageFailed,
    StageFailedData,
    StageProgress,
    StageProgressData,
    parse_event,
)
from spaceport.runtime.context import StageContext
from spaceport.runtime.errors import Interrupted, PermanentError, StageError
from spaceport.runtime.stage import StageSpec
from spaceport.settings import Settings
from spaceport.storage import COMPLETION_RECORD, ObjectNotFound, ObjectStore, job_key

log = structlog.get_logger(__name__)
UNKNOWN_JOB = "unknown"


class Worker:
    """Runs one stage on one bus and one store. Several workers may share a queue (competing consumers)."""

    def __init__(self, spec: StageSpec, bus: Bus, store: ObjectStore, settings: Settings) -> None:
        self.spec = spec
        self.bus = bus
        self.store = store
        self.settings = settings
        self.queue = QueueSpec(
            service=spec.name,
            bindings=spec.routing_patterns,
            prefetch=settings.prefetch or spec.prefetch,
            delivery_limit=settings.delivery_limit,
            namespace=settings.exchange,
        )
        self.cancel = threading.Event()
        self.in_flight = 0
        self.handled = 0
        self.failed = 0
        self.current_jobs: set[str] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._subscription: Subscription | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        """Declare the queue and start consuming."""
        self._loop = asyncio.get_running_loop()
        self._subscription = await self.bus.consume(self.queue, self.on_delivery)
        log.info(
            "worker_started", service=self.spec.name, queue=self.queue.queue, prefetch=self.queue.prefetch
        )

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
        """Handle one message end to end; always acks or rejects it."""
        self.in_flight += 1
        self._idle.clear()
        try:
            await self._process(delivery)
        finally:
            self.in_flight -= 1
            if self.in_flight == 0:
                self._idle.set()

    async def _process(self, delivery: Delivery) -> None:
        try:
            event = parse_event(delivery.body)
        except EventError as exc:
            await self._reject_malformed(delivery, exc)
            return
        with structlog.contextvars.bound_contextvars(
            job_id=event.job_id, event_id=event.id, service=self.spec.name, event_type=event.type
        ):
            if event.type not in self.spec.consumes:
                log.warning("event_ignored", reason="not consumed by this stage")
                await delivery.ack()
                return
            self.current_jobs.add(event.job_id)
            try:
                await self._handle(event, delivery)
            finally:
                self.current_jobs.discard(event.job_id)

    async def _handle(self, event: Envelope, delivery: Delivery) -> None:
        attempt = delivery.delivery_count
        if self.spec.records_results:
            recorded = await asyncio.to_thread(self._recorded_result, event)
            if recorded is not None:
                log.info("result_republished", events=len(recorded))
                await self._publish_all(recorded)
                await delivery.ack()
                return
        ctx = self._context(event, attempt)
        log.info("handling", attempt=attempt)
        try:
            outputs = await asyncio.to_thread(self.spec.handle, event, ctx)
        except Interrupted as exc:
            log.warning("handler_interrupted", reason=exc.message)
            await delivery.reject(requeue=True)
            return
        except PermanentError as exc:
            self.failed += 1
            log.warning("handler_failed_permanently", reason=exc.reason, message=exc.message)
            await self._finish(
                event, [self._failure(event, exc.reason, exc.message, False, attempt)], delivery
            )
            return
        except Exception as exc:
            await self._retry_or_dead_letter(event, delivery, exc, attempt)
            return
        finally:
            shutil.rmtree(ctx.work_dir, ignore_errors=True)
        self.handled += 1
        await self._finish(event, list(outputs), delivery)

    async def _finish(self, event: Envelope, outputs: Sequence[Envelope], delivery: Delivery) -> None:
        """Record the result (so a redelivery re-publishes it), publish with confirms, then ack."""
        if self.spec.records_results:
            await asyncio.to_thread(self._record_result, event, outputs)
        await self._publish_all(outputs)
        await delivery.ack()
        log.info("handled", outputs=[o.type for o in outputs])

    async def _retry_or_dead_letter(
        self, event: Envelope, delivery: Delivery, exc: Exception, attempt: int
    ) -> None:
        reason = exc.reason if isinstance(exc, StageError) else "handler_error"
        message = exc.message if isinstance(exc, StageError) else f"{type(exc).__name__}: {exc}"
        if attempt >= self.queue.delivery_limit:
            self.failed += 1
            log.error("handler_gave_up", reason=reason, message=message, attempt=attempt, exc_info=exc)
            failure = self._failure(
                event,
                "delivery_limit_exceeded",
                f"gave up after {attempt} attempts: {message}",
                True,
                attempt,
            )
            await self.bus.publish(failure)
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
        await asyncio.sleep(backoff)
        await delivery.reject(requeue=True)

    def _backoff(self, attempt: int) -> float:
        """Seconds to hold a failed message before giving it back."""
        return float(min(self.settings.retry_backoff_s * 2 ** (attempt - 1), 30.0))

    async def _reject_malformed(self, delivery: Delivery, exc: EventError) -> None:
        self.failed += 1
        job_id = exc.job_id or UNKNOWN_JOB
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
        await self.bus.publish(failure)
        await delivery.reject(requeue=False)

    def _failure(
        self, event: Envelope, reason: str, message: str, retryable: bool, attempt: int
    ) -> StageFailed:
        return event.answered_by(
            StageFailed,
            self.spec.name,
            data=StageFailedData(
                stage=self.spec.name,
                reason=reason,
                message=message[:2000],
                retryable=retryable,
                attempts=attempt,
            ),
        )

    def _context(self, event: Envelope, attempt: int) -> StageContext:
        work_dir = self.settings.work_dir / self.spec.name / f"{event.job_id}-{event.id[:12]}"
        shutil.rmtree(work_dir, ignore_errors=True)
        work_dir.mkdir(parents=True)
        return StageContext(
            stage=self.spec.name,
            event=event,
            store=self.store,
            work_dir=work_dir,
            settings=self.settings,
            attempt=attempt,
            cancel=self.cancel,
            progress_sink=lambda data: self._progress_threadsafe(event, data),
        )

    def _progress_threadsafe(self, event: Envelope, data: StageProgressData) -> None:
        if self._loop is None:
            return
        progress = event.answered_by(StageProgress, self.spec.name, data=data)
        future = asyncio.run_coroutine_threadsafe(self.bus.publish(progress), self._loop)
        future.add_done_callback(lambda f: f.exception() and log.warning("progress_not_published"))

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
        record = {
            "consumed": event.id,
            "stage": self.spec.name,
            "events": [json.loads(o.to_json()) for o in outputs],
        }
        self.store.put_bytes(self._record_key(event), json.dumps(record, indent=1).encode())

    async def _publish_all(self, events: Sequence[Envelope]) -> None:
        for event in events:
            await self.bus.publish(event)
