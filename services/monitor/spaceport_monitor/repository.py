"""Persistence of the monitor: events applied exactly once per id, records re-folded when out of order."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from spaceport.criteria import Thresholds
from spaceport.events import Alert, Envelope, parse_event
from spaceport.jobs.fold import apply, event_key, fold
from spaceport.jobs.record import JobRecord
from spaceport_monitor.alerts import Breach, alert_event, alerting
from spaceport_monitor.db import AlertRow, EventRow, JobRow
from spaceport_monitor.settings import OPS_JOB_ID


@dataclass(frozen=True)
class Recorded:
    """What recording one event did."""

    duplicate: bool
    record: JobRecord | None = None
    before: JobRecord | None = None
    alerts: list[Alert] = field(default_factory=list)
    """Alerts raised by this event (or, for a redelivered duplicate, raised by it before)."""
    refolded: bool = False


@dataclass(frozen=True)
class StoredAlert:
    """An alert the monitor raised, with its delivery state."""

    seq: int
    event: Alert
    created_at: datetime
    resolved_at: datetime | None
    webhook_state: str


class Repository:
    """Job records, the event log and alerts in one SQL database."""

    def __init__(self, engine: Engine, webhook_enabled: bool = False) -> None:
        self.engine = engine
        self.webhook_enabled = webhook_enabled
        self._lock = threading.Lock() if engine.dialect.name == "sqlite" else None

    @contextmanager
    def _session(self) -> Iterator[Session]:
        if self._lock is not None:
            self._lock.acquire()
        try:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                yield session
        finally:
            if self._lock is not None:
                self._lock.release()

    def record_event(self, event: Envelope, t: Thresholds, now: datetime, redelivered: bool = False) -> Recorded:
        """Apply `event` once: a duplicate id changes nothing; an older event re-folds the job's log."""
        with self._session() as session:
            if event.job_id == OPS_JOB_ID:
                return Recorded(duplicate=not _insert_event(session, event, now))
            row = _lock_job(session, event.job_id, now)
            if not _insert_event(session, event, now):
                alerts = self._alerts_caused_by(session, event.id) if redelivered else []
                return Recorded(duplicate=True, alerts=alerts)
            before = JobRecord.model_validate_json(row.record)
            record, refolded = self._advance(session, before, event, t)
            _save(row, record, now)
            breaches = [Breach(event.job_id, r, 0, event) for r in alerting(record.outcome, record.failed_criteria)]
            alerts = self._raise(session, breaches, now, published=True)
            return Recorded(duplicate=False, record=record, before=before, alerts=alerts, refolded=refolded)

    def _advance(self, session: Session, before: JobRecord, event: Envelope, t: Thresholds) -> tuple[JobRecord, bool]:
        if before.last_key is None or event_key(event) > before.last_key:
            record = before.model_copy(deep=True)
            apply(record, event, t)
            return record, False
        bodies = session.scalars(select(EventRow.body).where(EventRow.job_id == event.job_id)).all()
        return fold(event.job_id, [parse_event(b) for b in bodies], t), True

    def raise_alerts(self, breaches: list[Breach], now: datetime) -> list[Alert]:
        """Record breaches found outside event handling (sweeps); returns the new, unpublished alerts."""
        with self._session() as session:
            return self._raise(session, breaches, now, published=False)

    def _raise(self, session: Session, breaches: list[Breach], now: datetime, published: bool) -> list[Alert]:
        raised = []
        for breach in breaches:
            exists = session.scalar(
                select(AlertRow.seq).where(
                    AlertRow.job_id == breach.job_id,
                    AlertRow.criterion == breach.result.name,
                    AlertRow.episode == breach.episode,
                )
            )
            if exists is not None:
                continue
            alert = alert_event(breach)
            session.add(
                AlertRow(
                    alert_id=alert.id,
                    job_id=breach.job_id,
                    criterion=breach.result.name,
                    episode=breach.episode,
                    severity=alert.data.severity,
                    cause_id=alert.causation_id,
                    created_at=now,
                    event=alert.to_json().decode(),
                    published=published,
                    webhook_state="pending" if self.webhook_enabled else "none",
                )
            )
            raised.append(alert)
        session.flush()
        return raised

    def _alerts_caused_by(self, session: Session, event_id: str) -> list[Alert]:
        bodies = session.scalars(select(AlertRow.event).where(AlertRow.cause_id == event_id)).all()
        return [Alert.model_validate_json(body) for body in bodies]

    def open_episode(self, job_id: str, criterion: str) -> tuple[int, bool]:
        """(episode, True) while a system alert is open; else (the episode a new breach opens, False)."""
        with self._session() as session:
            row = session.scalars(
                select(AlertRow)
                .where(AlertRow.job_id == job_id, AlertRow.criterion == criterion)
                .order_by(AlertRow.episode.desc())
                .limit(1)
            ).first()
            if row is None:
                return 0, False
            return (row.episode, True) if row.resolved_at is None else (row.episode + 1, False)

    def resolve(self, job_id: str, criterion: str, now: datetime) -> None:
        """Mark a system alert cleared, so that a new breach alerts again."""
        with self._session() as session:
            for row in session.scalars(
                select(AlertRow).where(
                    AlertRow.job_id == job_id, AlertRow.criterion == criterion, AlertRow.resolved_at.is_(None)
                )
            ):
                row.resolved_at = now

    def mark_published(self, alert_ids: list[str]) -> None:
        """The broker confirmed these alerts."""
        with self._session() as session:
            for row in session.scalars(select(AlertRow).where(AlertRow.alert_id.in_(alert_ids))):
                row.published = True

    def unpublished(self) -> list[Alert]:
        """Sweep alerts whose publish has not been confirmed yet."""
        with self._session() as session:
            bodies = session.scalars(select(AlertRow.event).where(AlertRow.published.is_(False))).all()
            return [Alert.model_validate_json(b) for b in bodies]

    def pending_webhooks(self, limit: int = 20) -> list[StoredAlert]:
        """Alerts whose webhook call is still to be made."""
        return self.alerts(webhook_state="pending", limit=limit, oldest_first=True)

    def mark_webhook(self, seq: int, delivered: bool, max_attempts: int) -> None:
        """Record one webhook attempt."""
        with self._session() as session:
            row = session.get_one(AlertRow, seq)
            row.webhook_attempts += 1
            if delivered:
                row.webhook_state = "sent"
            elif row.webhook_attempts >= max_attempts:
                row.webhook_state = "failed"

    def alerts(
        self,
        job_id: str | None = None,
        webhook_state: str | None = None,
        limit: int = 100,
        oldest_first: bool = False,
    ) -> list[StoredAlert]:
        """Raised alerts, newest first unless asked otherwise."""
        query = select(AlertRow)
        if job_id is not None:
            query = query.where(AlertRow.job_id == job_id)
        if webhook_state is not None:
            query = query.where(AlertRow.webhook_state == webhook_state)
        query = query.order_by(AlertRow.seq if oldest_first else AlertRow.seq.desc()).limit(limit)
        with self._session() as session:
            return [
                StoredAlert(r.seq, Alert.model_validate_json(r.event), r.created_at, r.resolved_at, r.webhook_state)
                for r in session.scalars(query)
            ]

    def get(self, job_id: str) -> JobRecord | None:
        """The record of one job."""
        with self._session() as session:
            body = session.scalar(select(JobRow.record).where(JobRow.job_id == job_id))
            return JobRecord.model_validate_json(body) if body is not None else None

    def jobs(self, outcome: str | None = None, limit: int = 100, offset: int = 0) -> list[JobRecord]:
        """Records, the most recently active first."""
        query = select(JobRow.record)
        if outcome is not None:
            query = query.where(JobRow.outcome == outcome)
        query = query.order_by(JobRow.last_event_at.desc().nulls_last(), JobRow.job_id).limit(limit).offset(offset)
        with self._session() as session:
            return [JobRecord.model_validate_json(b) for b in session.scalars(query)]

    def running(self) -> list[JobRecord]:
        """Records of jobs that have not ended."""
        return self.jobs(outcome="running", limit=10_000)

    def outcome_counts(self, ended_since: datetime | None = None) -> dict[str, int]:
        """Jobs per outcome (optionally only those that ended since a time)."""
        query = select(JobRow.outcome, func.count()).group_by(JobRow.outcome)
        if ended_since is not None:
            query = query.where(JobRow.ended_at >= ended_since)
        with self._session() as session:
            return {outcome: int(n) for outcome, n in session.execute(query).all()}

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self._session() as session:
            session.execute(select(1))


def _insert_event(session: Session, event: Envelope, now: datetime) -> bool:
    """Add the event to the log; False when its id was seen before."""
    if session.get(EventRow, event.id) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(
                EventRow(
                    id=event.id,
                    job_id=event.job_id,
                    type=event.routing_key,
                    time=event.time,
                    received_at=now,
                    body=event.to_json().decode(),
                )
            )
    except IntegrityError:
        return False
    return True


def _lock_job(session: Session, job_id: str, now: datetime) -> JobRow:
    """The job's row, locked for this transaction (created when new)."""
    row = session.get(JobRow, job_id, with_for_update=True)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            session.add(
                JobRow(
                    job_id=job_id,
                    outcome="running",
                    updated_at=now,
                    record=JobRecord(job_id=job_id).model_dump_json(),
                )
            )
    except IntegrityError:
        pass
    return session.get_one(JobRow, job_id, with_for_update=True, populate_existing=True)


def _save(row: JobRow, record: JobRecord, now: datetime) -> None:
    row.outcome = record.outcome
    row.stage = record.current_stage
    row.first_event_at = record.first_event_at
    row.last_event_at = record.last_event_at
    row.ended_at = record.ended_at
    row.updated_at = now
    row.record = record.model_dump_json()
