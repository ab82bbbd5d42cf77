"""The two-minute walk video through `spaceport submit`: real RabbitMQ, a real S3-protocol server (moto's, on
loopback), and one `spaceport serve` worker per stage (monitor included), as the README's "Without Docker" runs
them. Records the job's seconds, each stage's report, pose error against the generated truth and held-out PSNR
as the `video-submit` row of `results.json`.

    .venv/bin/python benchmarks/scale/submit_video.py --scenes /work/scale/scenes --preset preview

RabbitMQ must be on 127.0.0.1:5672 (guest/guest); the video comes from `bench_scale.py`'s scene folder (made if
missing, with ffmpeg).
"""

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench_scale import _pose, _save, scene_for  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

from spaceport.storage import download_dir, open_store  # noqa: E402
from spaceport_app.demo.scene import load_ground_truth  # noqa: E402
from tests.support.services import free_port  # noqa: E402

BUCKET = "spaceport"
STAGES = ("sfm", "trainer", "compressor", "monitor")


def _wait_until_consuming(work: Path, stages: tuple[str, ...], timeout_s: float = 180.0) -> None:
    """Until every stage worker's health file says `ok` (connected, its queue declared and consumed)."""
    deadline = time.monotonic() + timeout_s
    for stage in stages:
        health = work / f"{stage}.health"
        while not (health.exists() and json.loads(health.read_text() or "{}").get("status") == "ok"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the {stage} worker did not report ok within {timeout_s:.0f} s ({work})")
            time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=Path, default=Path(".work/scale-scenes"))
    parser.add_argument("--preset", default="preview", choices=("preview", "standard", "quality"))
    parser.add_argument("--timeout", type=float, default=7200.0)
    parser.add_argument("--scene", type=Path, help="another demo scene folder (images/ and its truth) instead")
    args = parser.parse_args()
    if args.scene:
        video, truth = args.scene / "images", load_ground_truth(args.scene)
    else:
        video, truth, _ = scene_for(args.scenes, None)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's access log
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    store = open_store(f"s3://{BUCKET}/", endpoint_url=endpoint, access_key="k", secret_key="s", create_bucket=True)
    work = Path(tempfile.mkdtemp(prefix="submit-video-"))
    exchange = f"spaceport-bench-{uuid.uuid4().hex[:8]}"  # its own exchange and queues: no other worker takes its jobs
    env = {
        **os.environ,
        "SPACEPORT_STORAGE_URL": f"s3://{BUCKET}/",
        "SPACEPORT_S3_ENDPOINT_URL": endpoint,
        "SPACEPORT_S3_ACCESS_KEY": "k",
        "SPACEPORT_S3_SECRET_KEY": "s",
        "SPACEPORT_EXCHANGE": exchange,
        "SPACEPORT_LOG_FORMAT": "json",
        "SPACEPORT_MONITOR_STORAGE_URL": f"s3://{BUCKET}/",
        "SPACEPORT_MONITOR_S3_ENDPOINT_URL": endpoint,
        "SPACEPORT_MONITOR_S3_ACCESS_KEY": "k",
        "SPACEPORT_MONITOR_S3_SECRET_KEY": "s",
        "SPACEPORT_MONITOR_DATABASE_URL": f"sqlite:///{work / 'monitor.db'}",
        "SPACEPORT_MONITOR_PORT": str(free_port()),
        "SPACEPORT_MONITOR_QUEUE_NAME": f"monitor-{exchange}",
    }
    spaceport = str(Path(sys.executable).with_name("spaceport"))
    workers = []
    for stage in STAGES:
        log = (work / f"{stage}.log").open("w")
        stage_env = {
            **env,
            "SPACEPORT_WORK_DIR": str(work / stage),
            "SPACEPORT_HEALTH_FILE": str(work / f"{stage}.health"),
        }
        workers.append(subprocess.Popen([spaceport, "serve", stage], env=stage_env, stdout=log, stderr=log))
    job = f"video-submit-{uuid.uuid4().hex[:8]}"
    try:
        _wait_until_consuming(work, STAGES[:3])
        started = time.perf_counter()
        submitted = subprocess.run(
            [
                spaceport,
                "submit",
                str(video),
                "--preset",
                args.preset,
                "--job-id",
                job,
                "--wait",
                "--timeout",
                str(args.timeout),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        print(submitted.stdout[-3000:], submitted.stderr[-3000:], sep="\n")
        out = work / "job"
        download_dir(store, f"jobs/{job}/", out)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
        server.stop()
    reports = {
        s: json.loads((out / s / "report.json").read_text()) for s in STAGES[:3] if (out / s / "report.json").exists()
    }
    sfm, trainer, compressor = (reports.get(s, {}) for s in STAGES[:3])
    sfm_metrics, attempt = sfm.get("metrics", {}), (sfm.get("attempts") or [{}])[-1]
    evaluation = (trainer.get("evaluations") or [{}])[-1]
    sparse = out / "sfm" / "sparse" / "0"
    gib = 1024**3
    row: dict[str, Any] = {
        "scene": "video-submit" if args.scene is None else f"submit-{args.scene.name}",
        "preset": args.preset,
        "device": trainer.get("device", "n/a"),
        "machine": f"vm {os.cpu_count()} CPUs",
        "load_average": [round(x, 1) for x in os.getloadavg()[:2]],
        "succeeded": submitted.returncode == 0,
        "outcome": f"spaceport submit exit {submitted.returncode}",
        "photos": sfm_metrics.get("images_total"),
        "seconds": {
            "sfm": sfm_metrics.get("seconds"),
            "trainer": trainer.get("seconds") and round(trainer["seconds"], 1),
            "compressor": round(sum(compressor.get("step_seconds", {}).values()), 1) or None,
            "total": round(seconds, 1),
        },
        "sfm_steps_s": sfm_metrics.get("step_seconds", {}),
        "peak_host_gib": {
            "sfm": (sfm_metrics.get("peak_rss_bytes") or 0) / gib,
            "trainer": (trainer.get("peak_rss_bytes") or 0) / gib,
        },
        "peak_gpu_gib": {},
        "pairing": attempt.get("pairing"),
        "matched_pairs": attempt.get("matched_pairs"),
        "pairs_per_photo": attempt.get("matched_pairs")
        and round(2 * attempt["matched_pairs"] / sfm_metrics["images_total"], 1),
        "registered": sfm_metrics.get("images_registered"),
        "pose": _pose(truth, sparse if sparse.is_dir() else None),
        "heldout_psnr": evaluation.get("psnr"),
        "gaussians": trainer.get("gaussians"),
        "work": str(work),
    }
    _save(row)
    print(json.dumps(row))


if __name__ == "__main__":
    main()
