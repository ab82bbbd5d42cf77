"""The RabbitMQ adapter's own calls on a real broker, under callers that give up on them half-way."""

import asyncio
import random
import statistics
import time

import pytest

from spaceport.bus.rabbitmq import QueueProbeTimeout, RabbitBus
from tests.integration.kernel.test_rabbit_runtime import job, spec_for
from tests.support.services import delete_topology

pytestmark = pytest.mark.integration

CALLS = 300


async def call_duration_s(bus: RabbitBus, queue: str) -> float:
    """The median time of an uncancelled queue_depth call on this broker (under a millisecond on loopback)."""
    durations: list[float] = []
    for _ in range(20):
        started = time.perf_counter()
        await bus.queue_depth(queue)
        durations.append(time.perf_counter() - started)
    return statistics.median(durations)


async def test_queue_depth_cancelled_at_random_moments_keeps_the_connection_and_leaks_no_channel(
    rabbit_bus: RabbitBus, amqp_url: str, exchange_name: str
) -> None:
    """300 queue_depth calls (a queue holding one message, and a missing queue) each cancelled at a random moment
    of its run: every cancel ends its call within 2 s and none in an error, the broker never closes the
    connection, the open channels drain back to the ones open before, and a last call reads the depth."""
    spec = spec_for(exchange_name)
    await rabbit_bus.declare(spec)
    await rabbit_bus.publish(job(1))
    transport = rabbit_bus.connection.transport
    assert transport is not None
    connection = transport.connection
    channels_before = sorted(connection.channels)
    cancel_within_s = 1.5 * await call_duration_s(rabbit_bus, spec.queue)
    rng = random.Random(20261205)
    cancelled, errors = 0, set[str]()
    try:
        for n in range(CALLS):
            queue = spec.queue if n % 2 else f"{spec.queue}.missing"
            call = asyncio.create_task(rabbit_bus.queue_depth(queue))
            await asyncio.sleep(rng.uniform(0, cancel_within_s))
            call.cancel()
            done, _ = await asyncio.wait([call], timeout=2)
            assert done, f"call {n} was still running 2 s after its cancel"
            if call.cancelled():
                cancelled += 1
            elif (error := call.exception()) is not None:
                errors.add(repr(error))
        deadline = time.monotonic() + 10
        while sorted(connection.channels) != channels_before and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        reconnected = rabbit_bus.connection.transport is not transport or connection.is_closed
        assert not reconnected, "the broker closed the connection"
        assert sorted(connection.channels) == channels_before, "channels left open"
        assert errors == set(), "a cancel ended a call in an error"
        assert cancelled >= CALLS // 4, f"only {cancelled} of {CALLS} calls were cut short"
        assert await rabbit_bus.queue_depth(spec.queue) == 1
    finally:
        await delete_topology(amqp_url, exchange_name, (spec.service,))


async def test_queue_depth_past_its_timeout_raises_and_its_probe_still_closes_its_channel(amqp_url: str) -> None:
    """A bus whose depth calls may take 1 us: the call raises QueueProbeTimeout naming the queue, the probe it
    gave up on still closes its channel, and the connection stays open."""
    bus = RabbitBus(amqp_url, probe_timeout_s=1e-6, connection_name="probe-timeout-test")
    await bus.connect()
    try:
        transport = bus.connection.transport
        assert transport is not None
        channels_before = sorted(transport.connection.channels)
        with pytest.raises(QueueProbeTimeout, match="spaceport-test-missing-queue"):
            await bus.queue_depth("spaceport-test-missing-queue")
        deadline = time.monotonic() + 5
        while sorted(transport.connection.channels) != channels_before and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert sorted(transport.connection.channels) == channels_before, "the probe left its channel open"
        assert bus.connection.transport is transport and not transport.connection.is_closed
    finally:
        await bus.close()
