"""`python -m spaceport_monitor` as its own process on RabbitMQ and PostgreSQL."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from spaceport.bus.rabbitmq import RabbitBus
from tests.integration.monitor.conftest import AMQP_URL
from tests.unit.monitor.sequences import success

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _poll(client: httpx.AsyncClient, path: str, done: str, timeout_s: float = 20.0) -> httpx.Response:
    """GET `path` until the body contains `done`."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            response = await client.get(path)
            if response.status_code == 200 and done in response.text:
                return response
        except httpx.TransportError:
            pass
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"{path} never answered with {done!r}")
        await asyncio.sleep(0.2)


async def test_the_process_serves_records_and_stops_cleanly(tmp_path: Path, postgres_url: str) -> None:
    """The process answers /healthz, records a job published on the broker, and exits 0 on SIGTERM."""
    uid = uuid.uuid4().hex[:10]
    exchange, name, port, job = f"spaceport-test-{uid}", f"monitor-{uid}", _free_port(), f"proc-{uid}"
    env = {
        **os.environ,
        "SPACEPORT_AMQP_URL": AMQP_URL,
        "SPACEPORT_EXCHANGE": exchange,
        "SPACEPORT_STORAGE_URL": f"file://{tmp_path}/store",
        "SPACEPORT_WORK_DIR": str(tmp_path / "work"),
        "SPACEPORT_LOG_FORMAT": "json",
        "SPACEPORT_MONITOR_DATABASE_URL": postgres_url,
        "SPACEPORT_MONITOR_HOST": "127.0.0.1",
        "SPACEPORT_MONITOR_PORT": str(port),
        "SPACEPORT_MONITOR_QUEUE_NAME": name,
        "SPACEPORT_MONITOR_SERVICES": f'["{name}"]',
        "SPACEPORT_MONITOR_API_TOKEN": "process-token",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "spaceport_monitor"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    bus = RabbitBus(AMQP_URL, exchange=exchange)
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": "Bearer process-token"}
        ) as client:
            await _poll(client, "/healthz", '"consuming"')
            for event in success(job):
                await bus.publish(event)
            detail = (await _poll(client, f"/jobs/{job}", '"outcome":"succeeded"')).json()
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        output = process.stdout.read().decode() if process.stdout else ""
        channel = await bus.connection.channel()
        for queue in (f"{exchange}.{name}", f"{exchange}.{name}.dlq"):
            await channel.queue_delete(queue)
        for ex in (exchange, f"{exchange}.dlx"):
            await channel.exchange_delete(ex)
        await bus.close()
    assert code == 0, output[-3000:]
    assert [s["status"] for s in detail["stages"]] == ["done", "done", "done"]
    assert '"event": "monitor_stopped"' in output and "process-token" not in output
