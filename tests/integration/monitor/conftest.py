"""Fixtures of the monitor's integration tests: a real RabbitMQ, a real PostgreSQL, a local webhook server.

They fail (never skip) when the broker or the database cannot be reached.
"""

import asyncio
import json
import os
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest
from pydantic import SecretStr

from spaceport.bus import Delivery
from spaceport.bus.rabbitmq import RabbitBus
from spaceport.events import Alert
from spaceport.settings import Settings
from spaceport.storage import LocalStore
from spaceport_monitor.runner import MonitorService
from spaceport_monitor.settings import MonitorSettings

AMQP_URL = os.environ.get("SPACEPORT_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
POSTGRES_URL = os.environ.get("SPACEPORT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    name = f"spaceport_monitor_it_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class WebhookServer:
    """A local HTTP server that records every POST body (the Slack side of the webhook)."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, object]] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/secret"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def webhook() -> Iterator[WebhookServer]:
    """A running webhook server."""
    server = WebhookServer()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@dataclass
class Running:
    """A monitor service running on a test exchange, a publisher beside it and the Alerts seen on the bus."""

    service: MonitorService
    publisher: RabbitBus
    alerts: list[Alert] = field(default_factory=list)

    async def wait_for(self, condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
        """Poll `condition` until true, or fail the test."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not condition():
            if asyncio.get_running_loop().time() > deadline:
                pytest.fail("condition not met in time")
            await asyncio.sleep(0.1)


StartMonitor = Callable[..., AbstractAsyncContextManager[Running]]


async def _broker(url: str, exchange: str, name: str) -> RabbitBus:
    bus = RabbitBus(url, exchange=exchange, publish_timeout_s=10, connection_name=name)
    try:
        await bus.connect()
    except Exception as exc:
        pytest.fail(f"RabbitMQ is not reachable at {AMQP_URL}: {exc!r}")
    return bus


async def _delete_topology(bus: RabbitBus, queues: tuple[str, ...], exchange: str) -> None:
    channel = await bus.connection.channel()
    for queue in queues:
        await channel.queue_delete(queue)
    for name in (exchange, f"{exchange}.dlx"):
        await channel.exchange_delete(name)
    await channel.close()


@pytest.fixture
def start_monitor(tmp_path: Path, postgres_url: str, webhook: WebhookServer) -> StartMonitor:
    """Run the whole monitor (worker, API, sweeps, webhook) on RabbitMQ and PostgreSQL with its own names.

    Keyword arguments override the criteria thresholds.
    """

    @asynccontextmanager
    async def start(**criteria: object) -> AsyncIterator[Running]:
        uid = uuid.uuid4().hex[:10]
        exchange, name = f"spaceport-test-{uid}", f"monitor-{uid}"
        settings = Settings(
            amqp_url=SecretStr(AMQP_URL),
            exchange=exchange,
            storage_url=f"file://{tmp_path}/store",
            work_dir=tmp_path / "work",
            retry_backoff_s=0.0,
            criteria=Settings().criteria.model_copy(update=criteria),
        )
        config = MonitorSettings(
            database_url=SecretStr(postgres_url),
            host="127.0.0.1",
            port=0,
            webhook_url=SecretStr(webhook.url),
            sweep_interval_s=0.25,
            notify_interval_s=0.1,
            services=(name,),
            queue_name=name,
        )
        bus = await _broker(AMQP_URL, exchange, "monitor-under-test")
        publisher = await _broker(AMQP_URL, exchange, "test-publisher")
        service = MonitorService.build(settings, config, bus, LocalStore(tmp_path / "store"))
        running = Running(service, publisher)

        async def on_alert(delivery: Delivery) -> None:
            running.alerts.append(Alert.model_validate_json(delivery.body))
            await delivery.ack()

        watch = await publisher.watch(("monitor.alert",), on_alert)
        stop = asyncio.Event()
        task = asyncio.create_task(service.run(stop))
        await asyncio.wait_for(service.ready.wait(), 15)
        try:
            yield running
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)
            await watch.cancel()
            await _delete_topology(
                publisher, (service.worker.queue.queue, service.worker.queue.dead_letter_queue), exchange
            )
            await publisher.close()
            await bus.close()

    return start
