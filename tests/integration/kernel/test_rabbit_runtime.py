"""The runtime on a real RabbitMQ: crashes, poison messages, dropped connections and shutdown."""

import asyncio
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from spaceport.bus import Delivery, QueueSpec
from spaceport.bus.rabbitmq import RabbitBus
from spaceport.events import Envelope, ImagesReady, ImagesReadyData, parse_event
from spaceport.runtime import Worker
from spaceport.settings import Settings
from spaceport.storage import LocalStore, S3Store
from tests.integration.kernel.workers import echo_workers, worker_env
from tests.support.echo_stage import ECHO_STAGE
from tests.support.services import delete_topology
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration


class Tap:
    """Records every event on a test exchange."""

    def __init__(self) -> None:
        self.events: list[Envelope] = []

    async def attach(self, bus: RabbitBus) -> "Tap":
        async def on(delivery: Delivery) -> None:
            await delivery.ack()
            self.events.append(parse_event(delivery.body))

        await bus.watch(("#",), on)
        return self

    def of_type(self, kind: str) -> list[Envelope]:
        return [e for e in self.events if e.type == kind]

    async def wait_for(self, kind: str, jobs: int, timeout: float) -> list[Envelope]:
        deadline = time.monotonic() + timeout
        while len({e.job_id for e in self.of_type(kind)}) < jobs:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.of_type(kind))} {kind} after {timeout} s: {self.summary()}")
            await asyncio.sleep(0.1)
        return self.of_type(kind)

    def summary(self) -> list[tuple[str, str]]:
        return [(e.type, e.job_id) for e in self.events if e.type != "stage.progress"]


def job(n: int, prefix: str = "job") -> ImagesReady:
    return ImagesReady(
        source="client",
        job_id=f"{prefix}-{n:02d}",
        data=ImagesReadyData(images_uri="s3://b/jobs/x/images/", image_count=n),
    )


def spec_for(exchange: str) -> QueueSpec:
    return QueueSpec("sfm", ("images.ready",), prefetch=1, delivery_limit=3, namespace=exchange)


async def test_sigkilled_worker_loses_nothing_and_duplicates_nothing(
    rabbit_bus: RabbitBus,
    amqp_url: str,
    exchange_name: str,
    s3_store: S3Store,
    s3_endpoint: str,
    tmp_path: Path,
) -> None:
    """Two worker processes, 10 jobs, one worker SIGKILLed mid-handler: every job completes exactly once in effect."""
    tap = await Tap().attach(rabbit_bus)
    await rabbit_bus.declare(spec_for(exchange_name))
    env = worker_env(amqp_url, exchange_name, s3_endpoint, s3_store.bucket, ECHO_SLEEP_S="1.0")
    with echo_workers(2, env, tmp_path) as (victim, survivor):
        for n in range(10):
            await rabbit_bus.publish(job(n))
        await asyncio.sleep(1.5)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        results = await tap.wait_for("sfm.completed", 10, timeout=60)
        await asyncio.sleep(1.0)
        assert survivor.poll() is None
    by_job: dict[str, set[str]] = {}
    for event in tap.of_type("sfm.completed"):
        by_job.setdefault(event.job_id, set()).add(event.id)
    assert sorted(by_job) == [f"job-{n:02d}" for n in range(10)]
    assert all(len(ids) == 1 for ids in by_job.values()), "a job's result was produced twice"
    for n in range(10):
        lines = s3_store.get_bytes(f"jobs/job-{n:02d}/sfm/result.txt").decode().splitlines()
        assert lines == [f"job-{n:02d}:{step}" for step in range(5)]
    assert tap.of_type("stage.failed") == [] and len(results) >= 10
    await delete_topology(amqp_url, exchange_name, ("sfm",))


async def test_poison_messages_are_dead_lettered_with_stage_failed(
    rabbit_bus: RabbitBus, amqp_url: str, exchange_name: str, tmp_path: Path
) -> None:
    """An invalid payload and a job whose handler always raises both end in the DLQ, each with a StageFailed."""
    import os

    os.environ["ECHO_FAIL_JOBS"] = "poison-01"
    try:
        tap = await Tap().attach(rabbit_bus)
        settings = Settings(exchange=exchange_name, delivery_limit=3, retry_backoff_s=0.0, work_dir=tmp_path / "w")
        worker = Worker(ECHO_STAGE, rabbit_bus, LocalStore(tmp_path / "store"), settings)
        await worker.start()
        await rabbit_bus.publish_raw("images.ready", b'{"type": "images.ready", "job_id": "poison-02"}')
        await rabbit_bus.publish(job(1, "poison"))
        await rabbit_bus.publish(job(3, "fine"))
        failures = await tap.wait_for("stage.failed", 2, timeout=30)
        await tap.wait_for("sfm.completed", 1, timeout=30)
        await asyncio.sleep(0.5)
        reasons = {f.job_id: f.data.reason for f in failures}  # type: ignore[attr-defined]
        assert reasons == {"poison-02": "malformed_event", "poison-01": "delivery_limit_exceeded"}
        assert failures[[f.job_id for f in failures].index("poison-01")].data.attempts == 3  # type: ignore[attr-defined]
        assert await rabbit_bus.queue_depth(spec_for(exchange_name).dead_letter_queue) == 2
        await worker.stop(grace_s=5)
    finally:
        os.environ.pop("ECHO_FAIL_JOBS")
        await delete_topology(amqp_url, exchange_name, ("sfm",))


async def test_worker_resumes_after_its_connection_drops(
    rabbit_bus: RabbitBus, amqp_url: str, exchange_name: str, tmp_path: Path
) -> None:
    """A worker whose broker connection is cut mid-stream reconnects and finishes every job."""
    proxy = TcpProxy("127.0.0.1", 5672 if "5672" in amqp_url else int(amqp_url.rsplit(":", 1)[1].split("/")[0]))
    await proxy.start()
    worker_bus = RabbitBus(
        amqp_url.replace(amqp_url.split("@")[1].split("/")[0], f"127.0.0.1:{proxy.port}"),
        exchange=exchange_name,
        publish_timeout_s=10,
    )
    tap = await Tap().attach(rabbit_bus)
    settings = Settings(exchange=exchange_name, retry_backoff_s=0.0, work_dir=tmp_path / "w")
    worker = Worker(ECHO_STAGE, worker_bus, LocalStore(tmp_path / "store"), settings)
    try:
        await worker.start()
        for n in range(3):
            await rabbit_bus.publish(job(n, "before"))
        await tap.wait_for("sfm.completed", 1, timeout=30)
        proxy.cut()
        for n in range(3):
            await rabbit_bus.publish(job(n, "after"))
        results = await tap.wait_for("sfm.completed", 6, timeout=60)
        assert {e.job_id for e in results} == {f"{p}-{n:02d}" for p in ("before", "after") for n in range(3)}
        assert proxy.connections >= 2
    finally:
        await worker.stop(grace_s=5)
        await worker_bus.close()
        await proxy.stop()
        await delete_topology(amqp_url, exchange_name, ("sfm",))


async def test_sigterm_finishes_the_current_job_then_exits_cleanly(
    rabbit_bus: RabbitBus,
    amqp_url: str,
    exchange_name: str,
    s3_store: S3Store,
    s3_endpoint: str,
    tmp_path: Path,
) -> None:
    """SIGTERM stops a worker taking work; the job in hand completes and the process exits with status 0."""
    tap = await Tap().attach(rabbit_bus)
    await rabbit_bus.declare(spec_for(exchange_name))
    env = worker_env(amqp_url, exchange_name, s3_endpoint, s3_store.bucket, ECHO_SLEEP_S="2.0")
    with echo_workers(1, env, tmp_path) as (worker,):
        await rabbit_bus.publish(job(1, "term"))
        await rabbit_bus.publish(job(2, "term"))
        await asyncio.sleep(0.8)
        worker.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(worker.wait, 30)
    assert code == 0
    assert [e.job_id for e in tap.of_type("sfm.completed")] == ["term-01"]
    assert await rabbit_bus.queue_depth(spec_for(exchange_name).queue) == 1
    await delete_topology(amqp_url, exchange_name, ("sfm",))


def test_submit_uploads_photos_and_publishes_images_ready(
    amqp_url: str, exchange_name: str, s3_store: S3Store, s3_endpoint: str, tmp_path: Path
) -> None:
    """`spaceport submit` uploads a photo folder to S3 and publishes ImagesReady with the right count."""
    from PIL import Image

    photos = tmp_path / "photos"
    (photos / "sub").mkdir(parents=True)
    for i, name in enumerate(["a.jpg", "b.JPG", "sub/c.png"]):
        Image.new("RGB", (32, 24), (i * 40, 0, 0)).save(photos / name)
    (photos / "notes.txt").write_text("not a photo")
    received: list[Envelope] = []

    async def run() -> subprocess.CompletedProcess[str]:
        bus = RabbitBus(amqp_url, exchange=exchange_name)

        async def on(delivery: Delivery) -> None:
            await delivery.ack()
            received.append(parse_event(delivery.body))

        await bus.watch(("images.ready",), on)
        env = worker_env(amqp_url, exchange_name, s3_endpoint, s3_store.bucket)
        job_id = f"submit-{uuid.uuid4().hex[:6]}"
        proc = await asyncio.to_thread(
            subprocess.run,
            [
                str(Path(sys.executable).parent / "spaceport"),
                "submit",
                str(photos),
                "--job-id",
                job_id,
                "--preset",
                "preview",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        await asyncio.sleep(0.5)
        await bus.close()
        await delete_topology(amqp_url, exchange_name)
        return proc

    proc = asyncio.run(run())
    assert proc.returncode == 0, proc.stderr
    job_id = proc.stdout.strip()
    [event] = received
    assert isinstance(event, ImagesReady) and event.job_id == job_id
    assert event.data.image_count == 3 and event.data.options.trainer.preset == "preview"
    keys = s3_store.list_keys(f"jobs/{job_id}/images/")
    assert keys == [f"jobs/{job_id}/images/{n}" for n in ("a.jpg", "b.JPG", "sub/c.png")]
    assert s3_store.key_of(event.data.images_uri) == f"jobs/{job_id}/images/"
