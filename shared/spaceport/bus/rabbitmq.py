"""RabbitMQ through aio-pika: robust connection, durable topic exchange, quorum queues, confirms, DLQs."""

import asyncio

import aio_pika
import structlog
from aio_pika.abc import (
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustChannel,
    AbstractRobustConnection,
)
from aiormq.exceptions import ChannelNotFoundEntity

from spaceport.bus.protocol import EXCHANGE, DeliveryHandler, QueueSpec
from spaceport.events.envelope import Envelope

log = structlog.get_logger(__name__)


class PublishNotConfirmed(RuntimeError):
    """The broker did not confirm a publish in time (or returned it unroutable)."""


class QueueProbeTimeout(RuntimeError):
    """The broker did not say how deep a queue is in time."""


class RabbitDelivery:
    """An incoming AMQP message."""

    def __init__(self, message: AbstractIncomingMessage) -> None:
        self._message = message
        self.body = message.body
        self.routing_key = message.routing_key or ""
        count = (message.headers or {}).get("x-delivery-count", 0)
        self.delivery_count = int(count) + 1 if isinstance(count, int | str) else 1

    async def ack(self) -> None:
        await self._message.ack()

    async def reject(self, requeue: bool) -> None:
        await self._message.reject(requeue=requeue)


class RabbitSubscription:
    """A consumer on one queue, on its own channel so that prefetch is per service."""

    def __init__(self, queue: AbstractQueue, tag: str, channel: AbstractRobustChannel) -> None:
        self._queue, self._tag, self._channel = queue, tag, channel

    async def cancel(self) -> None:
        await self._queue.cancel(self._tag)


class RabbitBus:
    """Declares topology lazily; every publish waits for the broker's confirm."""

    def __init__(
        self,
        url: str,
        *,
        exchange: str = EXCHANGE,
        publish_timeout_s: float = 30.0,
        probe_timeout_s: float = 10.0,
        connection_name: str = "spaceport",
    ) -> None:
        self._url = url
        self._exchange_name = exchange
        self._dlx_name = f"{exchange}.dlx"
        self._publish_timeout = publish_timeout_s
        self._probe_timeout = probe_timeout_s
        self._probes: set[asyncio.Task[int]] = set()
        self._connection_name = connection_name
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractRobustChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._lock = asyncio.Lock()

    async def connect(self) -> None:
        """Open the robust connection and the publishing channel (idempotent)."""
        async with self._lock:
            if self._channel is not None:
                return
            self._connection = await aio_pika.connect_robust(
                self._url, client_properties={"connection_name": self._connection_name}, timeout=15
            )
            self._channel = await self._connection.channel(publisher_confirms=True)
            self._exchange = await self._declare_exchanges(self._channel)

    async def _declare_exchanges(self, channel: AbstractRobustChannel) -> AbstractExchange:
        await channel.declare_exchange(self._dlx_name, aio_pika.ExchangeType.DIRECT, durable=True)
        return await channel.declare_exchange(self._exchange_name, aio_pika.ExchangeType.TOPIC, durable=True)

    @property
    def connection(self) -> AbstractRobustConnection:
        """The live connection (after `connect`)."""
        if self._connection is None:
            raise RuntimeError("RabbitBus is not connected")
        return self._connection

    async def publish(self, event: Envelope) -> None:
        await self._publish(event.routing_key, event.to_json(), message_id=event.id, kind=event.routing_key)

    async def publish_raw(self, routing_key: str, body: bytes) -> None:
        await self._publish(routing_key, body, message_id=None, kind=None)

    async def _publish(self, routing_key: str, body: bytes, message_id: str | None, kind: str | None) -> None:
        await self.connect()
        assert self._exchange is not None
        message = aio_pika.Message(
            body,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            content_type="application/json",
            message_id=message_id,
            type=kind,
        )
        try:
            await self._exchange.publish(message, routing_key=routing_key, timeout=self._publish_timeout)
        except (TimeoutError, aio_pika.exceptions.DeliveryError) as exc:
            raise PublishNotConfirmed(f"publish of {routing_key} not confirmed: {exc!r}") from exc

    async def declare(self, spec: QueueSpec) -> None:
        await self.connect()
        assert self._channel is not None
        await self._declare_queue(self._channel, spec)

    async def _declare_queue(self, channel: AbstractRobustChannel, spec: QueueSpec) -> AbstractQueue:
        await self._declare_exchanges(channel)
        dlq = await channel.declare_queue(spec.dead_letter_queue, durable=True, arguments={"x-queue-type": "quorum"})
        await dlq.bind(self._dlx_name, routing_key=spec.service)
        queue = await channel.declare_queue(
            spec.queue,
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-delivery-limit": spec.delivery_limit,
                "x-dead-letter-exchange": self._dlx_name,
                "x-dead-letter-routing-key": spec.service,
            },
        )
        for pattern in spec.bindings:
            await queue.bind(self._exchange_name, routing_key=pattern)
        return queue

    async def consume(self, spec: QueueSpec, handler: DeliveryHandler) -> RabbitSubscription:
        await self.connect()
        channel: AbstractRobustChannel = await self.connection.channel()
        await channel.set_qos(prefetch_count=spec.prefetch)
        queue = await self._declare_queue(channel, spec)

        async def on_message(message: AbstractIncomingMessage) -> None:
            await handler(RabbitDelivery(message))

        tag = await queue.consume(on_message)
        log.info("consuming", queue=spec.queue, bindings=list(spec.bindings), prefetch=spec.prefetch)
        return RabbitSubscription(queue, tag, channel)

    async def watch(self, patterns: tuple[str, ...], handler: DeliveryHandler) -> RabbitSubscription:
        await self.connect()
        channel: AbstractRobustChannel = await self.connection.channel()
        await channel.set_qos(prefetch_count=50)
        exchange = await self._declare_exchanges(channel)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        for pattern in patterns:
            await queue.bind(exchange, routing_key=pattern)

        async def on_message(message: AbstractIncomingMessage) -> None:
            await handler(RabbitDelivery(message))

        tag = await queue.consume(on_message)
        return RabbitSubscription(queue, tag, channel)

    async def queue_depth(self, queue: str) -> int:
        """Messages ready in `queue` (0 if it does not exist); waits at most `probe_timeout_s`.

        A task of its own opens a channel, declares the queue passively and closes the channel; the caller waits
        for it through `asyncio.shield`, so cancelling the caller never cancels an AMQP call mid-flight (aiormq
        answers a cancelled `Channel.Close` with a second one, and the broker then closes the whole connection).
        A probe the caller stopped waiting for ends when the broker answers or the connection drops.
        """
        await self.connect()
        probe = asyncio.create_task(self._passive_depth(queue), name=f"queue_depth:{queue}")
        self._probes.add(probe)
        probe.add_done_callback(self._probe_done)
        try:
            async with asyncio.timeout(self._probe_timeout):
                return await asyncio.shield(probe)
        except TimeoutError as exc:
            raise QueueProbeTimeout(f"no depth of queue {queue} from the broker in {self._probe_timeout} s") from exc

    async def _passive_depth(self, queue: str) -> int:
        # A plain channel, not the robust connection's: the broker closes the channel when the queue does not
        # exist, and a robust channel then reopens itself, one more channel left open per call.
        channel = aio_pika.Channel(self.connection, publisher_confirms=False)
        await channel.initialize()
        try:
            declared = await channel.declare_queue(queue, passive=True)
            return int(declared.declaration_result.message_count or 0)
        except ChannelNotFoundEntity:
            return 0
        finally:
            if not channel.is_closed:
                await channel.close()

    def _probe_done(self, probe: asyncio.Task[int]) -> None:
        """Forget a finished probe; its error is read here too, where its caller had stopped waiting."""
        self._probes.discard(probe)
        if not probe.cancelled() and (error := probe.exception()) is not None:
            log.debug("queue_probe_failed", probe=probe.get_name(), error=repr(error))

    async def close(self) -> None:
        if self._probes:  # let probes whose callers stopped waiting close their channels first
            await asyncio.wait(set(self._probes), timeout=self._probe_timeout)
        if self._connection is not None:
            await self._connection.close()
        self._connection = self._channel = None
        self._exchange = None
