"""Helpers to run worker processes of the echo test stage against the real broker and S3 server."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import REPO


def worker_env(amqp_url: str, exchange: str, s3_endpoint: str, bucket: str, **extra: str) -> dict[str, str]:
    """Environment for a worker process of this test's deployment."""
    env = dict(os.environ)
    env.update(
        {
            "SPACEPORT_AMQP_URL": amqp_url,
            "SPACEPORT_EXCHANGE": exchange,
            "SPACEPORT_STORAGE_URL": f"s3://{bucket}/spaceport",
            "SPACEPORT_S3_ENDPOINT_URL": s3_endpoint,
            "SPACEPORT_S3_ACCESS_KEY": "testing",
            "SPACEPORT_S3_SECRET_KEY": "testing",
            "SPACEPORT_LOG_FORMAT": "json",
            "SPACEPORT_RETRY_BACKOFF_S": "0",
            "PYTHONUNBUFFERED": "1",
            **extra,
        }
    )
    return env


@contextmanager
def echo_workers(count: int, env: dict[str, str], log_dir: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Start `count` echo-stage worker processes; kill any still running at the end."""
    procs = []
    for i in range(count):
        health = log_dir / f"health-{i}.json"
        log = (log_dir / f"worker-{i}.log").open("wb")
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "tests.support.echo_stage"],
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**env, "SPACEPORT_HEALTH_FILE": str(health)},
            )
        )
    deadline = time.monotonic() + 60
    while not all((log_dir / f"health-{i}.json").exists() for i in range(count)):
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            raise RuntimeError(f"workers did not start; see {log_dir}")
        time.sleep(0.1)
    try:
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)
