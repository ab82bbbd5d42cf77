"""The monitor's tables (SQLAlchemy 2): the event log, the job records folded from it, and alerts."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    Engine,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import StaticPool


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone; this puts it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of the monitor's tables."""


class EventRow(Base):
    """Every event seen once: its id is the dedup key, the whole event is kept for re-folding."""

    __tablename__ = "monitor_events"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    job_id: Mapped[str] = mapped_column(String(96), index=True)
    type: Mapped[str] = mapped_column(String(64))
    time: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    body: Mapped[str] = mapped_column(Text)


class JobRow(Base):
    """The current record of a job (JSON), plus the columns lists and checks filter on."""

    __tablename__ = "monitor_jobs"
    job_id: Mapped[str] = mapped_column(String(96), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    stage: Mapped[str | None] = mapped_column(String(16))
    first_event_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_event_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    record: Mapped[str] = mapped_column(Text)


class AlertRow(Base):
    """One alert per job, criterion and episode (system alerts get a new episode after they clear)."""

    __tablename__ = "monitor_alerts"
    __table_args__ = (
        UniqueConstraint("job_id", "criterion", "episode", name="uq_alert_job_criterion_episode"),
        Index("ix_alert_webhook_state", "webhook_state"),
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(String(64), unique=True)
    job_id: Mapped[str] = mapped_column(String(96), index=True)
    criterion: Mapped[str] = mapped_column(String(64))
    episode: Mapped[int] = mapped_column(Integer, default=0)
    severity: Mapped[str] = mapped_column(String(16))
    cause_id: Mapped[str | None] = mapped_column(String(128), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    event: Mapped[str] = mapped_column(Text)
    """The Alert event's JSON, so that it can be published again with the same id."""
    published: Mapped[bool] = mapped_column(default=False)
    webhook_state: Mapped[str] = mapped_column(String(16), default="none")
    """`none` (no webhook configured), `pending`, `sent` or `failed`."""
    webhook_attempts: Mapped[int] = mapped_column(Integer, default=0)


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    """SQLAlchemy's `connect` event hands over the DB-API connection (sqlite3's), which it types as Any."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def open_database(url: str) -> Engine:
    """An engine for `url` with the tables created (SQLite file or memory, or PostgreSQL via psycopg)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        if url in ("sqlite://", "sqlite:///:memory:"):
            engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
        else:
            engine = create_engine(url, connect_args={"check_same_thread": False})
            event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    Base.metadata.create_all(engine)
    return engine
