"""Throughput of the distributed pipeline: jobs per hour with 1 vs 2 replicas of each stage.

Starts a private deployment (every service its own process) on the local RabbitMQ, a moto S3 server and
PostgreSQL, submits JOBS castle jobs at once (downscaled photos, preview preset with a short training),
and measures the wall time from the first submission to the last job's end. Run from the repository root:

    python -m benchmarks.throughput.bench_throughput --jobs 4 --replicas 1 2
"""

import argparse
import asyncio
import json
import platform
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from tempfile import TemporaryDirectory

import psycopg

from spaceport.storage import S3Store
from tests.conftest import datasets_root
from tests.e2e.conftest import downscale
from tests.e2e.deployment import SERVICES, Deployment, deployment_env
from tests.support.services import DEFAULT_AMQP, delete_topology, free_port

JOB_ARGS = ("--preset", "preview", "--set", "trainer.steps=90")


def run_once(replicas: int, jobs: int, photos: Path, s3_endpoint: str, work: Path) -> dict[str, float]:
    """Start a deployment with `replicas` workers per stage, push `jobs` jobs through it, time it."""
    bucket, exchange, db = (f"bench-{uuid.uuid4().hex[:8]}" for _ in range(3))
    S3Store(bucket, endpoint_url=s3_endpoint, access_key="testing", secret_key="testing").ensure_bucket()
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{db}"')
    env = deployment_env(
        DEFAULT_AMQP,
        exchange,
        s3_endpoint,
        bucket,
        f"postgresql+psycopg://postgres@127.0.0.1:5432/{db}",
        free_port(),
        work / "w",
    )
    deployment = Deployment(env=env, logs=work, monitor_url=f"http://127.0.0.1:{env['SPACEPORT_MONITOR_PORT']}")
    names = [deployment.start("monitor")] + [deployment.start(s) for s in SERVICES for _ in range(replicas)]
    try:
        deployment.wait_ready(names)
        started = time.monotonic()
        with ThreadPoolExecutor(jobs) as pool:
            runs = list(pool.map(lambda i: deployment.submit(photos, *JOB_ARGS, "--job-id", f"job-{i}"), range(jobs)))
        seconds = time.monotonic() - started
    finally:
        deployment.stop()
        asyncio.run(delete_topology(DEFAULT_AMQP, exchange, (*SERVICES, "monitor")))
    ok = sum(r.returncode == 0 for r in runs)
    return {
        "replicas": replicas,
        "jobs": jobs,
        "succeeded": ok,
        "seconds": round(seconds, 1),
        "jobs_per_hour": round(3600 * ok / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results.json")
    args = parser.parse_args()
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    results = []
    with TemporaryDirectory() as tmp:
        photos = downscale(datasets_root() / "sceaux_castle" / "images", Path(tmp) / "photos", 1024)
        for replicas in args.replicas:
            work = Path(tmp) / f"r{replicas}"
            work.mkdir()
            results.append(run_once(replicas, args.jobs, photos, f"http://127.0.0.1:{port}", work))
            print(json.dumps(results[-1]))
    server.stop()
    args.out.write_text(
        json.dumps(
            {
                "machine": platform.node(),
                "cpus": __import__("os").cpu_count(),
                "job": list(JOB_ARGS),
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
