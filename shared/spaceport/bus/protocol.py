"""The bus port: publish events with confirms; consume a service's queue with explicit acks."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from spaceport.events.envelope import Envelope

EXCHANGE = "spaceport"


@dataclass(frozen=True)
class QueueSpec:
    """One service's durable queue: replicas of the service compete for its messages."""

    service: str
    bindings: tuple[str, ...]
    prefetch: int = 1
    delivery_limit: int = 3
    namespace: str = EXCHANGE
    """Prefix of the queue names: the exchange's name, so separate deployments never share queues."""

    @property
    def queue(self) -> str:
        """The work queue's name."""
        return f"{self.namespace}.{self.service}"

    @property
    def dead_letter_queue(self) -> str:
        """Where messages go after the delivery limit, or when rejected as malformed."""
        return f"{self.queue}.dlq"


class Delivery(Protocol):
    """One message handed to a consumer. Exactly one of `ack` or `reject` must be called."""

    body: bytes
    routing_key: str
    delivery_count: int
    """1 on the first delivery, then one more for each earlier failed delivery."""

    async def ack(self) -> None:
        """The message is done with: the broker forgets it."""
        ...

    async def reject(self, requeue: bool) -> None:
        """Give the message back (`requeue`) or dead-letter it."""
        ...


DeliveryHandler = Callable[[Delivery], Awaitable[None]]


class Subscription(Protocol):
    """A running consumer."""

    async def cancel(self) -> None:
        """Stop receiving new messages; unacked ones stay with this consumer until acked or closed."""
        ...


class Bus(Protocol):
    """A topic bus with durable per-service queues, confirms, a delivery limit and dead letters."""

    async def publish(self, event: Envelope) -> None:
        """Publish persistently; returns once the broker confirmed it."""
        ...

    async def publish_raw(self, routing_key: str, body: bytes) -> None:
        """Publish bytes as they are (for clients that are not Python, and for tests)."""
        ...

    async def declare(self, spec: QueueSpec) -> None:
        """Declare the queue, its bindings and its dead-letter queue (idempotent)."""
        ...

    async def consume(self, spec: QueueSpec, handler: DeliveryHandler) -> Subscription:
        """Declare `spec` and hand each of its messages to `handler`, at most `prefetch` at once."""
        ...

    async def watch(self, patterns: tuple[str, ...], handler: DeliveryHandler) -> Subscription:
        """Observe matching events on a private, temporary queue (not a competing consumer)."""
        ...

    async def queue_depth(self, queue: str) -> int:
        """Messages ready in a queue (0 if it does not exist)."""
        ...

    async def close(self) -> None:
        """Close connections; unacked messages go back to their queues."""
        ...
