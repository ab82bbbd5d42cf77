"""Prometheus metrics on a registry of the monitor's own: jobs by outcome, stage durations, alerts, queues."""

from collections.abc import Iterator

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from spaceport.jobs.record import PIPELINE_STAGES, JobRecord
from spaceport_monitor.repository import Repository

log = structlog.get_logger(__name__)
OUTCOMES = ("running", "succeeded", "rejected", "failed")
DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class JobsCollector(Collector):
    """`spaceport_jobs{outcome}`, read from the database at scrape time (right after a restart too)."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("spaceport_monitor_database_up", "1 when the monitor's database answered")
        jobs = GaugeMetricFamily("spaceport_jobs", "Jobs known to the monitor, by outcome", labels=["outcome"])
        try:
            counts = self.repo.outcome_counts()
        except Exception as exc:  # a scrape must still answer when the database is down
            log.warning("metrics_database_error", error=repr(exc))
            up.add_metric([], 0)
            yield up
            return
        for outcome in OUTCOMES:
            jobs.add_metric([outcome], counts.get(outcome, 0))
        up.add_metric([], 1)
        yield jobs
        yield up


class MonitorMetrics:
    """Every series the monitor exports."""

    def __init__(self, repo: Repository) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        r = self.registry
        self.events = Counter(
            "spaceport_monitor_events",
            "Events received, by type and whether they were new",
            ["type", "result"],
            registry=r,
        )
        self.stage_duration = Histogram(
            "spaceport_stage_duration_seconds",
            "Stage durations (stage=pipeline: the whole job)",
            ["stage"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.alerts = Counter(
            "spaceport_alerts",
            "Alerts raised, by criterion and severity",
            ["criterion", "severity"],
            registry=r,
        )
        self.criteria = Counter(
            "spaceport_criteria_failures", "Criteria found failing, by criterion", ["criterion"], registry=r
        )
        self.queue_depth = Gauge("spaceport_queue_depth", "Messages ready in a queue", ["queue"], registry=r)
        self.queue_unacked = Gauge(
            "spaceport_queue_unacked",
            "Messages of a queue delivered to a worker and not yet acked (RabbitMQ management API)",
            ["queue"],
            registry=r,
        )
        self.stalled = Gauge(
            "spaceport_jobs_stalled", "Running jobs with no event (progress included) for stall_after_s", registry=r
        )
        self.webhooks = Counter("spaceport_alert_webhooks", "Webhook calls, by result", ["result"], registry=r)
        r.register(JobsCollector(repo))

    def observe_change(self, before: JobRecord | None, after: JobRecord) -> None:
        """Observe the durations that this change made known for the first time."""
        for stage in PIPELINE_STAGES:
            new = after.stages[stage].duration_s
            if new is not None and (before is None or before.stages[stage].duration_s is None):
                self.stage_duration.labels(stage=stage).observe(new)
        if (
            after.duration_s is not None
            and after.outcome == "succeeded"
            and (before is None or before.outcome != "succeeded")
        ):
            self.stage_duration.labels(stage="pipeline").observe(after.duration_s)
        old = {c.name for c in before.failed_criteria} if before is not None else set()
        for result in after.failed_criteria:
            if result.name not in old:
                self.criteria.labels(criterion=result.name).inc()

    def render(self) -> bytes:
        """The exposition text."""
        return generate_latest(self.registry)
