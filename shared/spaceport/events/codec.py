"""Parsing events off the wire, with typed errors for what cannot be parsed."""

import json
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from spaceport.events.catalog import (
    Alert,
    Compressed,
    ImagesReady,
    ModelTrained,
    SfmCompleted,
    SfmRejected,
    StageFailed,
    StageProgress,
)
from spaceport.events.envelope import SCHEMA_VERSION, Envelope, check_job_id

Event = Annotated[
    ImagesReady | SfmCompleted | SfmRejected | ModelTrained | Compressed | StageFailed | StageProgress | Alert,
    Field(discriminator="type"),
]
EVENT_TYPES: tuple[type[Envelope], ...] = (
    ImagesReady,
    SfmCompleted,
    SfmRejected,
    ModelTrained,
    Compressed,
    StageFailed,
    StageProgress,
    Alert,
)
EVENT_CLASSES: dict[str, type[Envelope]] = {cls.model_fields["type"].default: cls for cls in EVENT_TYPES}
_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


class EventError(ValueError):
    """An event that cannot be accepted. `job_id` is set when it could be read."""

    reason = "malformed_event"

    def __init__(self, message: str, job_id: str | None = None, event_id: str | None = None) -> None:
        super().__init__(message)
        self.job_id = job_id
        self.event_id = event_id


class MalformedEvent(EventError):
    """Not JSON, not an object, or a payload that fails validation."""


class UnknownEventType(EventError):
    """A `type` this version does not know."""

    reason = "unknown_event_type"


class UnsupportedSchemaVersion(EventError):
    """A `schema_version` newer than this version understands."""

    reason = "unsupported_schema_version"


def _job_id_of(raw: dict[str, Any]) -> str | None:
    value = raw.get("job_id")
    if not isinstance(value, str):
        return None
    try:
        return check_job_id(value)
    except ValueError:
        return None


def parse_event(body: bytes | str) -> Event:
    """Parse one event from its JSON wire form, or raise an `EventError` that says why not."""
    try:
        raw = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedEvent(f"event body is not JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise MalformedEvent(f"event body is a JSON {type(raw).__name__}, not an object")
    job_id = _job_id_of(raw)
    event_id = raw.get("id") if isinstance(raw.get("id"), str) else None
    kind = raw.get("type")
    if kind not in EVENT_CLASSES:
        raise UnknownEventType(f"unknown event type {kind!r}", job_id, event_id)
    version = raw.get("schema_version", SCHEMA_VERSION)
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise UnsupportedSchemaVersion(
            f"schema_version {version} is newer than the supported {SCHEMA_VERSION}", job_id, event_id
        )
    try:
        return _ADAPTER.validate_python(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:5])
        raise MalformedEvent(f"invalid {kind} event: {problems}", job_id, event_id) from exc


def json_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of every event type, keyed by type."""
    return {kind: cls.model_json_schema() for kind, cls in EVENT_CLASSES.items()}
