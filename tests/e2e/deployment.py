"""A distributed deployment for end-to-end tests: every service as its own OS process on the real
RabbitMQ, a real S3-protocol server and PostgreSQL, started and stopped by the test."""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.conftest import REPO

SERVICES = ("sfm", "trainer", "compressor")


@dataclass
class Deployment:
    """The processes of one deployment, its environment and where its logs go."""

    env: dict[str, str]
    logs: Path
    monitor_url: str
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _count: int = 0

    def start(self, service: str) -> str:
        """Start one more worker of `service` (`spaceport serve ...`); returns its name."""
        self._count += 1
        name = f"{service}-{self._count}"
        log = (self.logs / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            [str(Path(sys.executable).parent / "spaceport"), "serve", service],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**self.env, "SPACEPORT_HEALTH_FILE": str(self.health_file(name))},
        )
        return name

    def health_file(self, name: str) -> Path:
        """Where worker `name` reports its health."""
        return self.logs / f"{name}.health.json"

    def health(self, name: str) -> dict[str, object]:
        """The latest health report of worker `name` (empty before the first)."""
        try:
            return dict(json.loads(self.health_file(name).read_text()))
        except (OSError, ValueError):
            return {}

    def wait_ready(self, names: list[str], timeout: float = 120) -> None:
        """Wait until every named worker reports ok (and the monitor answers)."""
        deadline = time.monotonic() + timeout
        while True:
            dead = [n for n in names if self.procs[n].poll() is not None]
            if dead:
                raise RuntimeError(f"{dead} exited early; see logs in {self.logs}")
            workers_ok = all(self.health(n).get("status") == "ok" for n in names if not n.startswith("monitor"))
            if workers_ok and self.monitor_ok():
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"deployment not ready after {timeout} s; see {self.logs}")
            time.sleep(0.5)

    def monitor_ok(self) -> bool:
        """Whether the monitor's API answers."""
        try:
            return httpx.get(f"{self.monitor_url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self, name: str) -> None:
        """SIGKILL a worker (a crash: no chance to clean up)."""
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait(timeout=30)

    def submit(self, photos: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        """`spaceport submit PHOTOS --wait ...` against this deployment."""
        return subprocess.run(
            [str(Path(sys.executable).parent / "spaceport"), "submit", str(photos), "--wait", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def job(self, job_id: str) -> dict[str, object]:
        """The monitor's record of a job."""
        response = httpx.get(f"{self.monitor_url}/jobs/{job_id}", timeout=10)
        response.raise_for_status()
        return dict(response.json())

    def stop(self) -> None:
        """SIGTERM everything, then SIGKILL what is left."""
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def deployment_env(
    amqp_url: str, exchange: str, s3_endpoint: str, bucket: str, database_url: str, monitor_port: int, work_dir: Path
) -> dict[str, str]:
    """The SPACEPORT_* environment every process of one deployment shares."""
    return {
        **os.environ,
        "SPACEPORT_AMQP_URL": amqp_url,
        "SPACEPORT_EXCHANGE": exchange,
        "SPACEPORT_STORAGE_URL": f"s3://{bucket}/spaceport",
        "SPACEPORT_S3_ENDPOINT_URL": s3_endpoint,
        "SPACEPORT_S3_ACCESS_KEY": "testing",
        "SPACEPORT_S3_SECRET_KEY": "testing",
        "SPACEPORT_LOG_FORMAT": "json",
        "SPACEPORT_WORK_DIR": str(work_dir),
        "SPACEPORT_THREADS": "1",
        "SPACEPORT_RETRY_BACKOFF_S": "0.5",
        "SPACEPORT_MONITOR_DATABASE_URL": database_url,
        "SPACEPORT_MONITOR_PORT": str(monitor_port),
        "SPACEPORT_MONITOR_HOST": "127.0.0.1",
        "SPACEPORT_MONITOR_SWEEP_INTERVAL_S": "2",
        "PYTHONUNBUFFERED": "1",
        "OMP_NUM_THREADS": "1",
    }
