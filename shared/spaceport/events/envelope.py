"""The CloudEvents-style envelope every Spaceport event shares."""

import builtins
import re
from datetime import UTC, datetime
from typing import Annotated, Literal, Self, TypeVar
from uuid import uuid4

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1
JOB_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")

E = TypeVar("E", bound="Envelope")

Stage = Literal["client", "sfm", "trainer", "compressor", "monitor"]


def check_job_id(value: str) -> str:
    """A job id becomes part of storage keys: letters, digits, `_`, `-`, `.`; no `..`, no `/`."""
    if not JOB_ID_RE.fullmatch(value) or ".." in value:
        raise ValueError(
            f"invalid job_id {value!r}: use 1-96 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit, without '..'"
        )
    return value


JobId = Annotated[str, AfterValidator(check_job_id)]


def new_event_id() -> str:
    """A fresh, unique event id."""
    return uuid4().hex


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def new_job_id() -> str:
    """A fresh job id: sortable by time, unique."""
    return f"{utc_now():%Y%m%d-%H%M%S}-{uuid4().hex[:8]}"


class Payload(BaseModel):
    """Base for event payloads: frozen, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Envelope(BaseModel):
    """CloudEvents attributes plus the job it belongs to and the event it answers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    specversion: Literal["1.0"] = "1.0"
    type: str = Field(min_length=1, description="the event type, also its routing key (each event class fixes it)")
    id: str = Field(default_factory=new_event_id, min_length=1, max_length=128)
    source: str = Field(min_length=1, max_length=128)
    time: AwareDatetime = Field(default_factory=utc_now)
    datacontenttype: Literal["application/json"] = "application/json"
    schema_version: Literal[1] = 1
    job_id: JobId
    causation_id: str | None = Field(default=None, max_length=128)

    @property
    def routing_key(self) -> str:
        """The topic-exchange routing key: the event type."""
        return str(self.type)

    def to_json(self) -> bytes:
        """The wire form."""
        return self.model_dump_json().encode()

    def answered_by(self, cls: builtins.type[E], source: str, **fields: object) -> E:
        """An event of type `cls` answering this one: same job, causation set to this id."""
        return cls.model_validate({"source": source, "job_id": self.job_id, "causation_id": self.id, **fields})

    def with_time(self, time: datetime) -> Self:
        """The same event stamped with another time (for golden files)."""
        return self.model_copy(update={"time": time})
