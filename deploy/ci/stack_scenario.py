"""The compose stack's CI scenario, run against containers already built (deploy/ci/stack.sh builds them).

Through the published ports only: a castle job ends in Compressed with every criterion evaluated; a trainer
container killed mid-job comes back with `up` and the job finishes once; two trainers and two SfM workers run
three jobs with none lost or done twice; every container reports healthy; no secret reaches a log line;
`down` leaves nothing behind. Exits non-zero at the first step that fails, naming it.
"""

import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from compose_driver import Compose
from PIL import Image

FAST = ["--preset", "preview", "--set", "trainer.steps=60", "--set", "trainer.checkpoint_every=20"]
ACCEPTED = (0, 4)  # OK, or CRITERIA_FAILED: 60 steps may miss the held-out quality floor
SECRETS = ("SPACEPORT_RABBITMQ_PASSWORD", "SPACEPORT_S3_SECRET_KEY", "SPACEPORT_POSTGRES_PASSWORD")


class EventTap:
    """Every event on the stack's exchange, collected on a private queue by a background thread."""

    def __init__(self, amqp_url: str) -> None:
        self.events: list[tuple[str, str, str]] = []  # (job_id, type, event id)
        self._stop, ready = threading.Event(), threading.Event()
        threading.Thread(target=lambda: asyncio.run(self._run(amqp_url, ready)), daemon=True).start()
        if not ready.wait(30):
            raise RuntimeError("event tap did not start")

    async def _run(self, amqp_url: str, ready: threading.Event) -> None:
        from spaceport.bus import Delivery
        from spaceport.bus.rabbitmq import RabbitBus
        from spaceport.events import parse_event

        bus = RabbitBus(amqp_url)

        async def on(delivery: Delivery) -> None:
            await delivery.ack()
            event = parse_event(delivery.body)
            self.events.append((event.job_id, event.type, str(event.id)))

        await bus.watch(("#",), on)
        ready.set()
        while not self._stop.is_set():
            await asyncio.sleep(0.2)
        await bus.close()

    def distinct(self, job: str, kind: str) -> int:
        """How many distinct events of `kind` were published for `job`."""
        return len({i for j, k, i in list(self.events) if j == job and k == kind})


class Scenario:
    """The stack, the environment that reaches it from the host, and the photos it is fed."""

    def __init__(self, compose: Compose, photos: Path) -> None:
        self.compose, self.photos = compose, photos
        amqp, s3 = compose.published("rabbitmq", 5672), compose.published("minio", 9000)
        self.monitor = "http://" + compose.published("monitor", 8080)
        password = os.environ.get("SPACEPORT_RABBITMQ_PASSWORD", "spaceport")
        self.env = {
            **os.environ,
            "SPACEPORT_AMQP_URL": f"amqp://spaceport:{password}@{amqp}/",
            "SPACEPORT_STORAGE_URL": "s3://spaceport/",
            "SPACEPORT_S3_ENDPOINT_URL": f"http://{s3}",
            "SPACEPORT_S3_ACCESS_KEY": "spaceport",
        }
        self.headers = {"Authorization": f"Bearer {os.environ['SPACEPORT_MONITOR_API_TOKEN']}"}
        self.tap = EventTap(self.env["SPACEPORT_AMQP_URL"])

    def submit(self, job: str, *extra: str) -> subprocess.Popen[str]:
        """`spaceport submit PHOTOS --wait` from the host, through the published ports."""
        spaceport = str(Path(sys.executable).parent / "spaceport")
        command = [spaceport, "submit", str(self.photos), "--wait", "--job-id", job, *FAST, *extra]
        return subprocess.Popen(command, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finished(self, job: str, run: subprocess.Popen[str], timeout: float = 1200) -> None:
        """The submission ended well, the job is Compressed once and the monitor judged every criterion."""
        _, stderr = run.communicate(timeout=timeout)
        assert run.returncode in ACCEPTED, f"{job}: submit exited {run.returncode}: {stderr[-2000:]}"
        deadline = time.monotonic() + 30
        while self.tap.distinct(job, "model.compressed") < 1 and time.monotonic() < deadline:
            time.sleep(1)
        for kind in ("sfm.completed", "model.trained", "model.compressed"):
            count = self.tap.distinct(job, kind)
            assert count == 1, f"{job}: {count} distinct {kind} events (want exactly 1)"
        record = httpx.get(f"{self.monitor}/jobs/{job}", headers=self.headers, timeout=10).json()
        assert record["outcome"] == "succeeded", f"{job}: monitor says {record['outcome']}"
        criteria = {c["name"]: c["outcome"] for c in record["criteria"]}
        assert {"sfm_points", "sfm_registered", "model_size", "training_steps", "sog_outputs"} <= set(criteria)
        # pass, fail or not_measured (with its reason): judged, none left pending
        assert "pending" not in criteria.values(), f"{job}: a criterion left pending: {criteria}"
        print(f"stack: {job} Compressed once; criteria {criteria}", flush=True)

    def dashboard_and_api(self) -> None:
        """The dashboard and the API answer through the published port; the API asks for the token."""
        assert httpx.get(f"{self.monitor}/", timeout=10).status_code == 200
        assert httpx.get(f"{self.monitor}/jobs", timeout=10).status_code == 401
        assert httpx.get(f"{self.monitor}/jobs", headers=self.headers, timeout=10).status_code == 200


def downscale(source: Path, target: Path, max_side: int = 640) -> Path:
    """The photos of `source`, resized to `max_side`, EXIF kept."""
    for path in sorted(source.iterdir()):
        if path.suffix.lower() in (".jpg", ".jpeg"):
            with Image.open(path) as image:
                exif = image.info.get("exif", b"")
                image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
                image.save(target / path.name, quality=92, exif=exif)
    return target


def step(name: str, action: Callable[[], None]) -> None:
    """Run one step, timed; a failure names the step."""
    started = time.monotonic()
    print(f"stack: -- {name}", flush=True)
    try:
        action()
    except Exception as exc:
        print(f"stack: FAILED at '{name}': {exc!r}", flush=True)
        raise
    print(f"stack: ok '{name}' in {time.monotonic() - started:.0f} s", flush=True)


def killed_trainer(s: Scenario) -> None:
    """`docker kill` of the trainer holding a job, `up` again: the job still finishes, once."""
    job = "stack-kill"
    # long enough that the kill lands in training on an idle machine too (120 steps ended before it there)
    run = s.submit(job, "--set", "trainer.steps=600")
    deadline, holder = time.monotonic() + 900, None
    while holder is None:
        assert time.monotonic() < deadline, "no trainer took the job"
        assert run.poll() is None, "the job ended before the trainer could be killed"
        holder = next((c for c in s.compose.containers("trainer") if job in s.compose.worker_jobs(c)), None)
        time.sleep(1)
    time.sleep(5)  # into training (checkpoints every 20 steps)
    assert s.tap.distinct(job, "model.trained") == 0, "training ended before the kill: nothing was tested"
    subprocess.run(["docker", "kill", holder], check=True, capture_output=True)
    print(f"stack: killed trainer {holder[:12]} holding {job}", flush=True)
    s.compose.run("up", "-d")
    s.finished(job, run)


def scaled(s: Scenario) -> None:
    """Two trainers and two SfM workers: three concurrent jobs, none lost, none done twice."""
    s.compose.run("up", "-d", "--scale", "trainer=2", "--scale", "sfm=2")
    s.compose.wait_healthy()
    jobs = [f"stack-scale-{i}" for i in range(3)]
    runs = [s.submit(job) for job in jobs]
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda pair: s.finished(*pair), zip(jobs, runs, strict=True)))


def no_secret_logged(s: Scenario) -> None:
    """No secret of the environment appears in any container's log."""
    logs = s.compose.logs()
    for name in (*SECRETS, "SPACEPORT_MONITOR_API_TOKEN"):
        value = os.environ.get(name, "")
        assert len(value) >= 12, f"{name} must be set to a long random value for this check"
        assert value not in logs, f"{name}'s value appears in the logs"


def main() -> None:
    """Bring the stack up, run every step, bring it down."""
    compose = Compose(os.environ.get("SPACEPORT_STACK_PROJECT", "spaceport-ci"), sys.argv[1:])
    castle = Path(os.environ.get("SPACEPORT_DATASETS", "/work/shared/datasets")) / "sceaux_castle" / "images"
    with tempfile.TemporaryDirectory() as tmp:
        photos = downscale(castle, Path(tmp))
        try:
            step("up: every container healthy", lambda: (compose.run("up", "-d"), compose.wait_healthy()) and None)
            s = Scenario(compose, photos)
            step("API and dashboard through the published port", s.dashboard_and_api)
            step(
                "submit castle: Compressed, every criterion evaluated",
                lambda: s.finished("stack-1", s.submit("stack-1")),
            )
            step("docker kill of the trainer mid-job, then up", lambda: killed_trainer(s))
            step("--scale trainer=2 --scale sfm=2: three jobs, once each", lambda: scaled(s))
            step("every container healthy after the jobs", lambda: compose.wait_healthy(60) and None)
            step("no secret in any log line", lambda: no_secret_logged(s))
        finally:
            step("down leaves no orphan", lambda: down(compose))


def down(compose: Compose) -> None:
    """`down -v --remove-orphans`, then nothing of the project is left."""
    compose.run("down", "-v", "--remove-orphans", "--timeout", "30")
    left = compose.leftovers()
    assert not left, f"left behind: {left}"


if __name__ == "__main__":
    main()
