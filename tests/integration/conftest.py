"""Fixtures of the integration tests: a bus and a bucket on the real services (see tests/conftest.py)."""

import uuid
from collections.abc import AsyncIterator

import pytest

from spaceport.bus.rabbitmq import RabbitBus
from spaceport.storage import S3Store
from tests.support.services import delete_topology


@pytest.fixture
def exchange_name() -> str:
    """A unique exchange per test, so tests never see each other's messages."""
    return f"spaceport-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def rabbit_bus(amqp_url: str, exchange_name: str) -> AsyncIterator[RabbitBus]:
    """A connected RabbitBus on a private exchange; its exchanges are deleted afterwards."""
    bus = RabbitBus(amqp_url, exchange=exchange_name, publish_timeout_s=10)
    await bus.connect()
    yield bus
    await bus.close()
    await delete_topology(amqp_url, exchange_name)


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
