"""Parsing events off the wire, with typed errors for what cannot be parsed.

Within a major schema version consumers are tolerant readers: fields they do not know are left out before
validation, so a newer producer can roll out before its consumers. A higher `schema_version` is refused with a
reason (`UnsupportedSchemaVersion`), and a field the schema needs but the event lacks is still an error.
"""

import json
import typing
from typing import Annotated, Any

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

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
        return _ADAPTER.validate_python(known_fields(EVENT_CLASSES[kind], raw))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:5])
        raise MalformedEvent(f"invalid {kind} event: {problems}", job_id, event_id) from exc


def _model_classes(annotation: object) -> list[type[BaseModel]]:
    """The pydantic models an annotation can hold: itself, or inside `X | None`, tuples, lists, dict values."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in typing.get_args(annotation) for model in _model_classes(arg)]


def known_fields(model: type[BaseModel], value: Any) -> Any:
    """`value` with the keys `model` (and the models inside it) does not declare left out, recursively.

    Consumers are tolerant readers within a major schema version: a newer producer may add fields, and an older
    consumer reads the rest. Producers stay strict: every model forbids unknown fields when built in Python.
    """
    if not isinstance(value, dict):
        return value
    kept = {}
    for name, item in value.items():
        field = model.model_fields.get(name)
        if field is None:
            continue
        kept[name] = _known_in(field.annotation, item)
    return kept


def _known_in(annotation: object, item: Any) -> Any:
    models = _model_classes(annotation)
    if not models:
        return item
    if isinstance(item, dict):
        origin = typing.get_origin(annotation)
        if origin is dict:
            return {key: _known_in(typing.get_args(annotation)[1], sub) for key, sub in item.items()}
        return known_fields(models[0], item) if len(models) == 1 else item
    if isinstance(item, list):
        return [_known_in(models[0], sub) if len(models) == 1 else sub for sub in item]
    return item


def json_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of every event type, keyed by type."""
    return {kind: cls.model_json_schema() for kind, cls in EVENT_CLASSES.items()}
