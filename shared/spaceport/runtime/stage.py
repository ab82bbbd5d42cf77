"""A stage: which events it consumes and the handler that turns one into the next."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from spaceport.events import Envelope, Stage
from spaceport.runtime.context import StageContext

Handler = Callable[[Any, StageContext], Sequence[Envelope]]


@dataclass(frozen=True)
class StageSpec:
    """Everything the runtime needs to run one service's handler."""

    name: Stage
    consumes: tuple[str, ...]
    handle: Handler
    prefetch: int = 1
    records_results: bool = True
    """Write a completion record so a repeated event re-publishes the result instead of redoing it."""
    bindings: tuple[str, ...] = ()
    """Routing patterns to bind; defaults to `consumes`."""
    owns_malformed: bool = True
    """Dead-letter a message that does not parse, with a StageFailed. An observer bound to every key (the
    monitor) leaves that to the stage the message was meant for, so a poison message is dead-lettered once."""

    @property
    def routing_patterns(self) -> tuple[str, ...]:
        """What the service's queue is bound to."""
        return self.bindings or self.consumes
