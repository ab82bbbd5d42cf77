"""In-memory bus: RabbitMQ's contract of topic routing, acks, redelivery and dead letters."""

import asyncio

import pytest

from spaceport.bus import Delivery, MemoryBus, QueueSpec, topic_matches

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("images.ready", "images.ready", True),
        ("images.ready", "images.readyx", False),
        ("*.completed", "sfm.completed", True),
        ("*.completed", "sfm.x.completed", False),
        ("#", "anything.at.all", True),
        ("model.#", "model", True),
        ("model.#", "model.trained", True),
        ("#.failed", "stage.failed", True),
        ("stage.*", "stage", False),
    ],
)
def test_topic_matching_follows_amqp_rules(pattern: str, key: str, expected: bool) -> None:
    """`*` matches exactly one word and `#` zero or more, as in a RabbitMQ topic exchange."""
    assert topic_matches(pattern, key) is expected


async def _collect(bus: MemoryBus, spec: QueueSpec, action: str, received: list[Delivery]) -> None:
    async def handler(delivery: Delivery) -> None:
        received.append(delivery)
        if action == "ack":
            await delivery.ack()
        else:
            await delivery.reject(requeue=action == "requeue")

    await bus.consume(spec, handler)


async def test_messages_route_to_every_bound_queue() -> None:
    """A publish reaches each queue whose bindings match, and only those."""
    bus = MemoryBus()
    sfm, monitor, trainer = [], [], []
    await _collect(bus, QueueSpec("sfm", ("images.ready",)), "ack", sfm)
    await _collect(bus, QueueSpec("monitor", ("#",)), "ack", monitor)
    await _collect(bus, QueueSpec("trainer", ("sfm.completed",)), "ack", trainer)
    await bus.publish_raw("images.ready", b"{}")
    await asyncio.sleep(0.05)
    assert (len(sfm), len(monitor), len(trainer)) == (1, 1, 0)


async def test_requeued_message_is_redelivered_with_a_higher_count_then_dead_lettered() -> None:
    """A message given back is delivered again until the limit, then lands in the dead-letter queue."""
    bus = MemoryBus()
    received: list[Delivery] = []
    await _collect(bus, QueueSpec("sfm", ("images.ready",), delivery_limit=2), "requeue", received)
    await bus.publish_raw("images.ready", b"poison")
    await asyncio.sleep(0.1)
    assert [d.delivery_count for d in received] == [1, 2, 3]
    assert bus.dead_letters("sfm") == [b"poison"]
    assert await bus.queue_depth("spaceport.sfm.dlq") == 1


async def test_rejected_without_requeue_goes_straight_to_dead_letters() -> None:
    """A message rejected without requeue is dead-lettered after one delivery."""
    bus = MemoryBus()
    received: list[Delivery] = []
    await _collect(bus, QueueSpec("sfm", ("images.ready",)), "dead", received)
    await bus.publish_raw("images.ready", b"bad")
    await asyncio.sleep(0.05)
    assert len(received) == 1 and bus.dead_letters("sfm") == [b"bad"]


async def test_competing_consumers_share_one_queue() -> None:
    """Two consumers on one service queue split its messages; each message is handled once."""
    bus = MemoryBus()
    first, second = [], []
    spec = QueueSpec("sfm", ("images.ready",))
    await _collect(bus, spec, "ack", first)
    await _collect(bus, spec, "ack", second)
    for i in range(10):
        await bus.publish_raw("images.ready", str(i).encode())
    await asyncio.sleep(0.1)
    bodies = sorted(int(d.body) for d in first + second)
    assert bodies == list(range(10))


async def test_crashed_consumer_gives_its_message_back() -> None:
    """A consumer that dies mid-message returns it to the queue for another consumer."""
    bus = MemoryBus()
    started = asyncio.Event()

    async def slow(delivery: Delivery) -> None:
        started.set()
        await asyncio.sleep(10)

    subscription = await bus.consume(QueueSpec("sfm", ("images.ready",)), slow)
    await bus.publish_raw("images.ready", b"job")
    await started.wait()
    await subscription.kill()
    assert await bus.queue_depth("spaceport.sfm") == 1


async def test_cancelled_consumer_finishes_the_message_in_hand() -> None:
    """Cancelling a consumer stops new deliveries but lets the running handler settle its message."""
    bus = MemoryBus()
    done: list[bytes] = []

    async def slow(delivery: Delivery) -> None:
        await asyncio.sleep(0.1)
        done.append(delivery.body)
        await delivery.ack()

    subscription = await bus.consume(QueueSpec("sfm", ("images.ready",)), slow)
    await bus.publish_raw("images.ready", b"a")
    await bus.publish_raw("images.ready", b"b")
    await asyncio.sleep(0.02)
    await subscription.cancel()
    await asyncio.sleep(0.2)
    assert done == [b"a"] and await bus.queue_depth("spaceport.sfm") == 1


async def test_watchers_see_events_without_competing() -> None:
    """An observer's private queue receives copies while the service queue still gets the message."""
    bus = MemoryBus()
    service, seen = [], []
    await _collect(bus, QueueSpec("sfm", ("images.ready",)), "ack", service)

    async def watcher(delivery: Delivery) -> None:
        seen.append(delivery.body)
        await delivery.ack()

    await bus.watch(("#",), watcher)
    await bus.publish_raw("images.ready", b"x")
    await asyncio.sleep(0.05)
    assert len(service) == 1 and seen == [b"x"]
