"""Real services for integration tests: RabbitMQ on 127.0.0.1:5672 (or a container) and an S3 server."""

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator

import aio_pika
import pytest

from spaceport.bus.rabbitmq import RabbitBus
from spaceport.storage import S3Store

DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672/"


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _broker_reachable(url: str) -> bool:
    async def probe() -> bool:
        try:
            connection = await aio_pika.connect(url, timeout=5)
        except Exception:
            return False
        await connection.close()
        return True

    return asyncio.run(probe())


@pytest.fixture(scope="session")
def amqp_url() -> Iterator[str]:
    """A reachable RabbitMQ: SPACEPORT_TEST_AMQP_URL, the local broker, or a testcontainers container.

    Fails (never skips) when none is reachable: CI must run these tests.
    """
    url = os.environ.get("SPACEPORT_TEST_AMQP_URL", DEFAULT_AMQP)
    if _broker_reachable(url):
        yield url
        return
    try:
        from testcontainers.rabbitmq import RabbitMqContainer

        with RabbitMqContainer("rabbitmq:3.13-management") as container:
            params = container.get_connection_params()
            yield f"amqp://guest:guest@{params.host}:{params.port}/"
            return
    except Exception as exc:  # no Docker engine either
        pytest.fail(f"no RabbitMQ at {url} and no Docker engine for a container: {exc}")


@pytest.fixture
def exchange_name() -> str:
    """A unique exchange per test, so tests never see each other's messages."""
    return f"spaceport-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def rabbit_bus(amqp_url: str, exchange_name: str) -> AsyncIterator[RabbitBus]:
    """A connected RabbitBus on a private exchange; its queues are deleted afterwards."""
    bus = RabbitBus(amqp_url, exchange=exchange_name, publish_timeout_s=10)
    await bus.connect()
    yield bus
    await bus.close()
    await delete_topology(amqp_url, exchange_name)


async def delete_topology(amqp_url: str, exchange: str, services: tuple[str, ...] = ()) -> None:
    """Delete a test's exchanges and the queues of the services it used."""
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    for service in services:
        for queue in (f"spaceport.{service}", f"spaceport.{service}.dlq"):
            await channel.queue_delete(queue)
    await channel.exchange_delete(exchange)
    await channel.exchange_delete(f"{exchange}.dlx")
    await connection.close()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3-protocol server on loopback (moto's standalone server), for the whole session."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_store(s3_endpoint: str) -> S3Store:
    """A fresh bucket on the S3 server."""
    store = S3Store(
        f"test-{uuid.uuid4().hex[:10]}",
        "spaceport",
        endpoint_url=s3_endpoint,
        access_key="testing",
        secret_key="testing",
    )
    store.ensure_bucket()
    return store
