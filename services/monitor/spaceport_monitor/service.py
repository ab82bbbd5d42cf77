"""The monitor's behaviour: the event handler, and the sweep for stalled jobs, dead letters, failure rate."""

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog

from spaceport.bus import Bus, QueueSpec
from spaceport.bus.protocol import EXCHANGE
from spaceport.criteria import CriterionResult, Thresholds
from spaceport.events import Alert, Envelope
from spaceport.events.envelope import utc_now
from spaceport.runtime import StageContext, StageSpec
from spaceport_monitor.alerts import Breach
from spaceport_monitor.broker_api import BrokerApi
from spaceport_monitor.checks import dead_letter_result, failure_rate_result, stalled_result
from spaceport_monitor.metrics import MonitorMetrics
from spaceport_monitor.repository import Repository
from spaceport_monitor.settings import OPS_JOB_ID, MonitorSettings

log = structlog.get_logger(__name__)
Clock = Callable[[], datetime]


class Monitor:
    """Records every event, judges jobs against the criteria and raises each alert once."""

    def __init__(
        self,
        repo: Repository,
        metrics: MonitorMetrics,
        config: MonitorSettings,
        clock: Clock = utc_now,
        broker_api: BrokerApi | None = None,
    ) -> None:
        self.repo, self.metrics, self.config, self.clock = repo, metrics, config, clock
        self.broker_api = broker_api

    def spec(self) -> StageSpec[Envelope]:
        """The runtime's view of the monitor: every event type (its handler takes `Envelope`), bound to `#`,
        nothing recorded in storage."""
        return StageSpec(
            name="monitor",
            handle=self.on_event,
            bindings=("#",),
            records_results=False,
            owns_malformed=False,
            prefetch=self.config.prefetch,
        )

    def on_event(self, event: Envelope, ctx: StageContext) -> list[Envelope]:
        """Fold the event into its job; return the Alert events of criteria it newly breached."""
        result = self.repo.record_event(event, ctx.settings.criteria, self.clock(), redelivered=ctx.attempt > 1)
        self.metrics.events.labels(type=event.routing_key, result="duplicate" if result.duplicate else "new").inc()
        if result.duplicate:
            log.info("event_duplicate", republished=len(result.alerts))
            return list(result.alerts)
        if result.record is not None:
            self.metrics.observe_change(result.before, result.record)
            quiet = event.routing_key == "stage.progress" and not result.alerts
            (log.debug if quiet else log.info)(
                "job_recorded",
                outcome=result.record.outcome,
                stage=result.record.current_stage,
                refolded=result.refolded,
                failed=[c.name for c in result.record.failed_criteria],
            )
        for alert in result.alerts:
            self.announce(alert)
        return list(result.alerts)

    def announce(self, alert: Alert) -> None:
        """The structured log line and counter of a newly raised alert."""
        d = alert.data
        self.metrics.alerts.labels(criterion=d.criterion, severity=d.severity).inc()
        log.warning(
            "alert_raised",
            job_id=alert.job_id,
            alert_id=alert.id,
            criterion=d.criterion,
            severity=d.severity,
            observed=d.observed,
            expected=d.expected,
            message=d.message,
        )

    async def sweep(self, bus: Bus, thresholds: Thresholds, namespace: str = EXCHANGE) -> list[Alert]:
        """Check for stalled jobs, dead letters and the failure rate; publish new alerts; returns them."""
        await self._republish(bus)
        now = self.clock()
        breaches = await asyncio.to_thread(self._stalled, now, thresholds)
        system = [*await self._queues(bus, namespace), await asyncio.to_thread(self._failure_rate, now)]
        for result in system:
            breach = await asyncio.to_thread(self._system_breach, result, now)
            if breach is not None:
                breaches.append(breach)
        alerts = await asyncio.to_thread(self.repo.raise_alerts, breaches, now)
        for alert in alerts:
            self.announce(alert)
            await bus.publish(alert)
        if alerts:
            await asyncio.to_thread(self.repo.mark_published, [a.id for a in alerts])
        return alerts

    async def _republish(self, bus: Bus) -> None:
        """Alerts of an earlier sweep whose publish was not confirmed (the broker was away)."""
        pending = await asyncio.to_thread(self.repo.unpublished)
        for alert in pending:
            await bus.publish(alert)
        if pending:
            await asyncio.to_thread(self.repo.mark_published, [a.id for a in pending])

    def _stalled(self, now: datetime, t: Thresholds) -> list[Breach]:
        breaches = []
        for record in self.repo.running():
            stage = record.current_stage
            if stage is None or record.last_event_at is None:
                continue
            result = stalled_result(stage, record.last_event_at, now, t)
            if result.outcome == "fail":
                breaches.append(Breach(record.job_id, result))
        self.metrics.stalled.set(len(breaches))
        return breaches

    async def _queues(self, bus: Bus, namespace: str) -> list[CriterionResult]:
        results = []
        for service in self.config.services:
            spec = QueueSpec(service, (), namespace=namespace)
            for queue in (spec.queue, spec.dead_letter_queue):
                depth = await bus.queue_depth(queue)
                self.metrics.queue_depth.labels(queue=queue).set(depth)
            unacked = await self.broker_api.unacked(spec.queue) if self.broker_api is not None else None
            if unacked is not None:
                self.metrics.queue_unacked.labels(queue=spec.queue).set(unacked)
            results.append(dead_letter_result(service, spec.dead_letter_queue, depth))
        return results

    def _failure_rate(self, now: datetime) -> CriterionResult:
        c = self.config
        counts = self.repo.outcome_counts(ended_since=now - timedelta(seconds=c.failure_window_s))
        return failure_rate_result(
            counts.get("failed", 0),
            sum(counts.values()),
            c.failure_window_s,
            c.max_failure_rate,
            c.min_jobs_for_failure_rate,
        )

    def _system_breach(self, result: CriterionResult, now: datetime) -> Breach | None:
        """A system check alerts once per episode: a cleared check closes it, a new breach opens the next."""
        episode, unresolved = self.repo.open_episode(OPS_JOB_ID, result.name)
        if result.outcome == "fail":
            return None if unresolved else Breach(OPS_JOB_ID, result, episode)
        if result.outcome == "pass" and unresolved:
            self.repo.resolve(OPS_JOB_ID, result.name, now)
            log.info("alert_cleared", criterion=result.name)
        return None
