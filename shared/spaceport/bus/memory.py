"""An in-process bus with RabbitMQ's contract: topic routing, acks, redelivery, a delivery limit, DLQs."""

import asyncio
from collections import deque
from dataclasses import dataclass, field

import structlog

from spaceport.bus.protocol import DeliveryHandler, QueueSpec
from spaceport.bus.routing import topic_matches
from spaceport.events.envelope import Envelope

log = structlog.get_logger(__name__)


@dataclass
class _Message:
    routing_key: str
    body: bytes
    delivery_count: int = 1


@dataclass
class _Queue:
    spec: QueueSpec
    ready: deque[_Message] = field(default_factory=deque)
    dead: list[_Message] = field(default_factory=list)
    wakeup: asyncio.Condition = field(default_factory=asyncio.Condition)


class MemoryDelivery:
    """A message on loan to a consumer."""

    def __init__(self, bus: "MemoryBus", queue: _Queue, message: _Message, done: asyncio.Event) -> None:
        self._bus, self._queue, self._message, self._done = bus, queue, message, done
        self.body = message.body
        self.routing_key = message.routing_key
        self.delivery_count = message.delivery_count
        self.settled = False

    async def ack(self) -> None:
        self._settle()

    async def reject(self, requeue: bool) -> None:
        self._settle()
        await self._bus._return(self._queue, self._message, requeue)

    def _settle(self) -> None:
        if self.settled:
            raise RuntimeError("delivery already acked or rejected")
        self.settled = True
        self._done.set()


class MemorySubscription:
    """The consumer loops of one `consume` call and the handlers they started."""

    def __init__(self) -> None:
        self.loops: list[asyncio.Task[None]] = []
        self.handlers: set[asyncio.Task[None]] = set()

    async def cancel(self) -> None:
        """Stop taking messages; handlers already running finish and settle their messages (as basic.cancel)."""
        for task in self.loops:
            task.cancel()
        await asyncio.gather(*self.loops, return_exceptions=True)

    async def kill(self) -> None:
        """Simulate a crashed consumer: running handlers die and their messages go back to the queue."""
        await self.cancel()
        for task in list(self.handlers):
            task.cancel()
        await asyncio.gather(*self.handlers, return_exceptions=True)


class MemoryBus:
    """Same semantics as the RabbitMQ adapter, in one process. Messages are lost when it is dropped."""

    def __init__(self) -> None:
        self._queues: dict[str, _Queue] = {}
        self.published: list[tuple[str, bytes]] = []
        self._watchers = 0

    async def declare(self, spec: QueueSpec) -> None:
        self._queues.setdefault(spec.queue, _Queue(spec))

    async def publish(self, event: Envelope) -> None:
        await self.publish_raw(event.routing_key, event.to_json())

    async def publish_raw(self, routing_key: str, body: bytes) -> None:
        self.published.append((routing_key, body))
        for queue in self._queues.values():
            if any(topic_matches(pattern, routing_key) for pattern in queue.spec.bindings):
                async with queue.wakeup:
                    queue.ready.append(_Message(routing_key, body))
                    queue.wakeup.notify()

    async def _return(self, queue: _Queue, message: _Message, requeue: bool) -> None:
        if requeue and message.delivery_count <= queue.spec.delivery_limit:
            message.delivery_count += 1
            async with queue.wakeup:
                queue.ready.append(message)
                queue.wakeup.notify()
        else:
            queue.dead.append(message)
            log.warning("message_dead_lettered", queue=queue.spec.queue, routing_key=message.routing_key)

    async def consume(self, spec: QueueSpec, handler: DeliveryHandler) -> MemorySubscription:
        await self.declare(spec)
        queue = self._queues[spec.queue]
        subscription = MemorySubscription()
        subscription.loops = [
            asyncio.create_task(self._consumer(queue, handler, subscription)) for _ in range(spec.prefetch)
        ]
        return subscription

    async def watch(self, patterns: tuple[str, ...], handler: DeliveryHandler) -> MemorySubscription:
        self._watchers += 1
        spec = QueueSpec(f"watch-{self._watchers}", patterns, prefetch=1, delivery_limit=1_000_000)
        return await self.consume(spec, handler)

    async def _consumer(self, queue: _Queue, handler: DeliveryHandler, subscription: MemorySubscription) -> None:
        while True:
            async with queue.wakeup:
                await queue.wakeup.wait_for(lambda: bool(queue.ready))
                message = queue.ready.popleft()
            delivery = MemoryDelivery(self, queue, message, asyncio.Event())
            task = asyncio.create_task(self._run(queue, handler, delivery))
            subscription.handlers.add(task)
            task.add_done_callback(subscription.handlers.discard)
            await asyncio.shield(task)

    async def _run(self, queue: _Queue, handler: DeliveryHandler, delivery: "MemoryDelivery") -> None:
        try:
            await handler(delivery)
        except asyncio.CancelledError:
            if not delivery.settled:
                await delivery.reject(requeue=True)
            raise
        except Exception:
            log.exception("consumer_handler_crashed", queue=queue.spec.queue)
            if not delivery.settled:
                await delivery.reject(requeue=True)

    async def queue_depth(self, queue: str) -> int:
        found = self._queues.get(queue)
        if found is not None:
            return len(found.ready)
        for candidate in self._queues.values():
            if candidate.spec.dead_letter_queue == queue:
                return len(candidate.dead)
        return 0

    def dead_letters(self, service: str) -> list[bytes]:
        """Bodies in a service's dead-letter queue."""
        queue = next((q for q in self._queues.values() if q.spec.service == service), None)
        return [m.body for m in queue.dead] if queue else []

    async def idle(self) -> None:
        """Wait until every queue is empty (consumers may still be working on the last message)."""
        while any(q.ready for q in self._queues.values()):
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        self._queues.clear()
