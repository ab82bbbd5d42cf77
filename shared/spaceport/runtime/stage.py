"""A stage: the handler that turns one event into the next, and how the runtime runs it.

A handler's typed signature is its whole contract: `def on_sfm_completed(event: SfmCompleted, ctx: StageContext)
-> list[Envelope]`. The runtime reads the event class from the first parameter's annotation and binds the
stage's queue to that class's routing key (to every event type for `Envelope` itself, as the monitor takes);
nothing else states what a stage consumes.
"""

import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import UnionType
from typing import Generic, TypeVar

from spaceport.events import EVENT_CLASSES, Envelope, Stage
from spaceport.runtime.context import StageContext

E = TypeVar("E", bound=Envelope)
Handler = Callable[[E, StageContext], Sequence[Envelope]]
"""The one shape of every handler: an event of its class and the context in, the events to publish out."""


class HandlerContractError(TypeError):
    """A handler whose signature does not say which events it takes."""


def consumed_types(handler: Callable[..., object]) -> tuple[str, ...]:
    """The routing keys of the event classes in the annotation of `handler`'s first parameter."""
    hints = typing.get_type_hints(handler)
    hints.pop("return", None)
    if not hints:
        raise HandlerContractError(f"{handler!r} has no annotated event parameter")
    annotation = next(iter(hints.values()))
    classes = typing.get_args(annotation) if isinstance(annotation, UnionType) else (annotation,)
    if any(cls is Envelope for cls in classes):
        return tuple(EVENT_CLASSES)
    keys = []
    for cls in classes:
        key = next((k for k, known in EVENT_CLASSES.items() if known is cls), None)
        if key is None:
            raise HandlerContractError(f"{handler!r} takes {cls!r}, which is not an event class")
        keys.append(key)
    return tuple(keys)


@dataclass(frozen=True)
class StageSpec(Generic[E]):
    """Everything the runtime needs to run one service's handler."""

    name: Stage
    handle: Handler[E]
    prefetch: int = 1
    records_results: bool = True
    """Write a completion record so a repeated event re-publishes the result instead of redoing it."""
    bindings: tuple[str, ...] = ()
    """Routing patterns to bind; defaults to the routing keys of the events the handler takes."""
    owns_malformed: bool = True
    """Dead-letter a message that does not parse, with a StageFailed. An observer bound to every key (the
    monitor) leaves that to the stage the message was meant for, so a poison message is dead-lettered once."""

    @property
    def consumes(self) -> tuple[str, ...]:
        """The event types the handler takes, from its signature."""
        return consumed_types(self.handle)

    @property
    def routing_patterns(self) -> tuple[str, ...]:
        """What the service's queue is bound to."""
        return self.bindings or self.consumes
