"""`python -m spaceport_sfm` as its own process on RabbitMQ and an S3 server."""

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import pycolmap
import pytest

from spaceport.bus import Delivery, QueueSpec
from spaceport.bus.rabbitmq import RabbitBus
from spaceport.events import Envelope, SfmCompleted, parse_event
from spaceport.params import SfmParams
from spaceport.storage import S3Store
from tests.conftest import REPO
from tests.integration.kernel.workers import worker_env
from tests.support.services import delete_topology
from tests.unit.sfm.scenes import downscale, images_ready

pytestmark = pytest.mark.integration
JOB = "sfm-process-1"


def upload_castle(store: S3Store, datasets_dir: Path, tmp_path: Path) -> str:
    """The 11 castle photos at 640 px, uploaded where the CLI puts a job's images."""
    source = datasets_dir / "sceaux_castle" / "images"
    local = downscale(source, tmp_path / "castle", sorted(p.name for p in source.glob("*.JPG")), 640)
    for path in sorted(local.iterdir()):
        store.put_file(f"jobs/{JOB}/images/{path.name}", path)
    return store.uri(f"jobs/{JOB}/images/")


async def wait_for_final(events: list[Envelope], timeout_s: float) -> Envelope:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        final = [e for e in events if e.type in ("sfm.completed", "sfm.rejected", "stage.failed")]
        if final:
            return final[0]
        await asyncio.sleep(0.2)
    raise TimeoutError(f"no SfM result after {timeout_s} s: {[e.type for e in events]}")


async def test_worker_process_reconstructs_from_s3(
    amqp_url: str, exchange_name: str, s3_endpoint: str, s3_store: S3Store, datasets_dir: Path, tmp_path: Path
) -> None:
    """Photos in the bucket + ImagesReady on the broker -> SfmCompleted, a readable model in the bucket, exit 0."""
    uri = upload_castle(s3_store, datasets_dir, tmp_path)
    env = worker_env(
        amqp_url,
        exchange_name,
        s3_endpoint,
        s3_store.bucket,
        SPACEPORT_THREADS="2",
        SPACEPORT_WORK_DIR=str(tmp_path / "work"),
        SPACEPORT_HEALTH_FILE=str(tmp_path / "health.json"),
    )
    bus = RabbitBus(amqp_url, exchange=exchange_name, publish_timeout_s=10)
    await bus.connect()
    await bus.declare(QueueSpec("sfm", ("images.ready",), prefetch=1, delivery_limit=3, namespace=exchange_name))
    events: list[Envelope] = []

    async def tap(delivery: Delivery) -> None:
        await delivery.ack()
        events.append(parse_event(delivery.body))

    await bus.watch(("#",), tap)
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "spaceport_sfm"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        await bus.publish(images_ready(JOB, uri, SfmParams.preset("fast"), count=11))
        final = await wait_for_final(events, timeout_s=240)
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        await bus.close()
        await delete_topology(amqp_url, exchange_name, ("sfm",))
    assert isinstance(final, SfmCompleted), (final, (tmp_path / "worker.log").read_text()[-3000:])
    assert final.data.metrics.images_registered >= 10 and code == 0
    assert any(e.type == "stage.progress" for e in events)
    prefix = s3_store.key_of(final.data.sparse_uri)
    for key in s3_store.list_keys(prefix):
        s3_store.get_file(key, tmp_path / "model" / key[len(prefix) :])
    assert pycolmap.Reconstruction(tmp_path / "model").num_reg_images() == final.data.metrics.images_registered
    assert s3_store.exists(f"jobs/{JOB}/sfm/colmap.log") and s3_store.exists(f"jobs/{JOB}/sfm/report.json")
