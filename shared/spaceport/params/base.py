"""Common base for job parameters: frozen, strict about unknown keys."""

from pydantic import BaseModel, ConfigDict


class Params(BaseModel):
    """Job parameters: carried in events, recorded beside each stage's outputs."""

    model_config = ConfigDict(frozen=True, extra="forbid")
