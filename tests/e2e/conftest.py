"""Fixtures of the end-to-end tests: a downscaled real photo set and a running distributed deployment."""

import asyncio
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from PIL import Image

from tests.e2e.deployment import SERVICES, Deployment, deployment_env
from tests.support.services import free_port

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def downscale(source: Path, target: Path, max_side: int) -> Path:
    """Copy the JPEG photos of `source` into `target`, resized to `max_side`, keeping their EXIF."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.iterdir()):
        if path.suffix.lower() not in (".jpg", ".jpeg"):
            continue
        with Image.open(path) as image:
            exif = image.info.get("exif", b"")
            image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            image.save(target / path.name, quality=92, exif=exif)
    return target


@pytest.fixture(scope="session")
def castle_photos(datasets_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sceaux_castle's 11 photos at 1024 px."""
    return downscale(datasets_dir / "sceaux_castle" / "images", tmp_path_factory.mktemp("castle"), 1024)


@pytest.fixture(scope="session")
def unrelated_photos(datasets_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three castle photos and three fox photos that do not belong together, plus a corrupt file."""
    folder = tmp_path_factory.mktemp("unrelated")
    castle = sorted((datasets_dir / "sceaux_castle" / "images").glob("*.JPG"))[:3]
    fox = sorted((datasets_dir / "fox" / "images").glob("*.jpg"))[::17][:3]
    for path in castle + fox:
        with Image.open(path) as image:
            image.thumbnail((640, 640))
            image.save(folder / path.name, quality=90)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return folder


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A fresh PostgreSQL database for the monitor, dropped afterwards."""
    name = f"spaceport_e2e_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def deployment(
    amqp_url: str, s3_endpoint: str, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    """Two workers of each stage and a monitor, each its own process, on a private exchange and bucket."""
    from spaceport.storage import S3Store

    bucket = f"e2e-{uuid.uuid4().hex[:10]}"
    S3Store(bucket, endpoint_url=s3_endpoint, access_key="testing", secret_key="testing").ensure_bucket()
    logs = tmp_path_factory.mktemp("deployment")
    exchange = f"spaceport-e2e-{uuid.uuid4().hex[:8]}"
    env = deployment_env(amqp_url, exchange, s3_endpoint, bucket, database_url, free_port(), logs / "work")
    deployment = Deployment(env=env, logs=logs, monitor_url=f"http://127.0.0.1:{env['SPACEPORT_MONITOR_PORT']}")
    names = [deployment.start("monitor")] + [deployment.start(s) for s in SERVICES for _ in range(2)]
    try:
        deployment.wait_ready(names)
        yield deployment
    finally:
        deployment.stop()
        shutil.rmtree(logs / "work", ignore_errors=True)
        import asyncio

        from tests.support.services import delete_topology

        asyncio.run(delete_topology(amqp_url, exchange, (*SERVICES, "monitor")))


class EventTap:
    """Every event of a deployment, collected on a private queue by a background thread."""

    def __init__(self, amqp_url: str, exchange: str) -> None:
        import threading

        self.events: list[object] = []
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run(amqp_url, exchange)), daemon=True)
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("event tap did not start")

    async def _run(self, amqp_url: str, exchange: str) -> None:

        from spaceport.bus import Delivery
        from spaceport.bus.rabbitmq import RabbitBus
        from spaceport.events import parse_event

        bus = RabbitBus(amqp_url, exchange=exchange)

        async def on(delivery: Delivery) -> None:
            await delivery.ack()
            self.events.append(parse_event(delivery.body))

        await bus.watch(("#",), on)
        self._ready.set()
        while not self._stop.is_set():
            await asyncio.sleep(0.2)
        await bus.close()

    def of(self, job_id: str, kind: str) -> list[object]:
        """The events of one type for one job, in arrival order."""
        return [e for e in list(self.events) if e.job_id == job_id and e.type == kind]  # type: ignore[attr-defined]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@pytest.fixture(scope="module")
def tap(deployment: Deployment, amqp_url: str) -> Iterator[EventTap]:
    """Everything published in the deployment."""
    events = EventTap(amqp_url, deployment.env["SPACEPORT_EXCHANGE"])
    yield events
    events.close()
