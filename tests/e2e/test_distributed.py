"""The four services as separate processes on RabbitMQ, S3 and PostgreSQL: jobs, crashes, replicas, bad input."""

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from spaceport.events import ModelTrained, SfmRejected
from spaceport_app.cli.exit_codes import ExitCode
from tests.conftest import REPO
from tests.e2e.conftest import EventTap
from tests.e2e.deployment import Deployment

pytestmark = pytest.mark.e2e
FAST = (
    "--preset",
    "preview",
    "--set",
    "trainer.steps=90",
    "--set",
    "trainer.checkpoint_every=30",
    "--set",
    "trainer.checkpoint_seconds=0",
)


def test_concurrent_jobs_complete_once_each_with_every_criterion_evaluated(
    deployment: Deployment, tap: EventTap, castle_photos: Path
) -> None:
    """Three concurrent castle jobs on two replicas per stage end in Compressed once each; the monitor judged them."""
    jobs = [f"castle-{i}" for i in range(3)]
    with ThreadPoolExecutor(3) as pool:
        runs = list(pool.map(lambda j: deployment.submit(castle_photos, *FAST, "--job-id", j), jobs))
    for job, run in zip(jobs, runs, strict=True):  # 90 steps may miss the held-out floor: exit 4, not 1
        assert run.returncode in (ExitCode.OK, ExitCode.CRITERIA_FAILED), f"{job}: {run.stderr[-2000:]}"
    time.sleep(2)
    for job in jobs:
        for kind in ("sfm.completed", "model.trained", "model.compressed"):
            ids = {e.id for e in tap.of(job, kind)}  # type: ignore[attr-defined]
            assert len(ids) == 1, f"{job} has {len(ids)} distinct {kind} results"
        record = deployment.job(job)
        assert record["outcome"] == "succeeded"
        criteria = {c["name"]: c for c in record["criteria"]}
        assert {"sfm_points", "sfm_registered", "model_size", "training_steps", "sog_outputs"} <= set(criteria)
        assert all(c["outcome"] in ("pass", "fail") for c in criteria.values()), "a criterion was left pending"
        assert all(criteria[name]["outcome"] == "pass" for name in ("sfm_points", "sfm_registered", "sog_outputs"))


def test_killed_trainer_job_resumes_from_its_checkpoint(
    deployment: Deployment, tap: EventTap, castle_photos: Path
) -> None:
    """SIGKILL of the trainer holding a job after a checkpoint: a new trainer starts and the job completes from it."""
    job = "castle-crash"
    spaceport = str(Path(sys.executable).parent / "spaceport")
    submit = subprocess.Popen(
        [
            spaceport,
            "submit",
            str(castle_photos),
            "--wait",
            "--job-id",
            job,
            "--preset",
            "preview",
            "--set",
            "trainer.steps=150",
            "--set",
            "trainer.checkpoint_every=30",
            "--set",
            "trainer.checkpoint_seconds=0",
        ],
        cwd=REPO,
        env=deployment.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    holder = wait_for_trainer_past_checkpoint(deployment, tap, job, timeout=600)
    deployment.kill(holder)
    replacement = deployment.start("trainer")
    deployment.wait_ready([replacement])
    _, stderr = submit.communicate(timeout=900)
    assert submit.returncode in (ExitCode.OK, ExitCode.CRITERIA_FAILED), stderr[-2000:]
    [trained] = {e.id: e for e in tap.of(job, "model.trained")}.values()
    assert isinstance(trained, ModelTrained)
    assert trained.data.metrics.resumed_from_step is not None and trained.data.metrics.resumed_from_step >= 30
    assert trained.data.metrics.steps == 150


def wait_for_trainer_past_checkpoint(deployment: Deployment, tap: EventTap, job: str, timeout: float) -> str:
    """The name of the trainer working on `job`, once it reported progress past its first checkpoint."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        progress = [e for e in tap.of(job, "stage.progress") if e.data.stage == "trainer"]  # type: ignore[attr-defined]
        holders = [
            n for n in deployment.procs if n.startswith("trainer") and job in deployment.health(n).get("jobs", [])
        ]  # type: ignore[operator]
        if holders and progress and progress[-1].data.fraction >= 0.4:  # type: ignore[attr-defined]
            return holders[0]
        time.sleep(0.2)
    raise TimeoutError(f"no trainer got past a checkpoint of {job} within {timeout} s")


def test_unrelated_photos_are_rejected_with_hints_and_the_monitor_shows_it(
    deployment: Deployment, tap: EventTap, unrelated_photos: Path
) -> None:
    """A mixed, partly corrupt photo set ends in SfmRejected with hints; the monitor records the rejection."""
    run = deployment.submit(unrelated_photos, "--preset", "preview", "--job-id", "unrelated-1")
    assert run.returncode == ExitCode.FAILED, run.stderr[-2000:]
    assert "rejected by sfm" in run.stderr and "hint:" in run.stderr
    [rejected] = {e.id: e for e in tap.of("unrelated-1", "sfm.rejected")}.values()
    assert isinstance(rejected, SfmRejected) and rejected.data.hints
    record = deployment.job("unrelated-1")
    assert record["outcome"] == "rejected"
    assert record["failure"]["stage"] == "sfm" and record["failure"]["reason"] == rejected.data.reason
    assert tuple(record["failure"]["hints"]) == rejected.data.hints
