"""A test stage: takes a while, writes an output through the store, answers with SfmCompleted.

Run as a worker process with `python -m tests.support.echo_stage` (settings from SPACEPORT_* env). Knobs:
ECHO_SLEEP_S (how long each job takes), ECHO_FAIL_JOBS (job ids whose handler always raises), ECHO_CRASH_JOBS
(job ids on which the process kills itself, as an out-of-memory kill would), ECHO_RUNS_FILE (a file that gets
one line per run started: job id and pid), ECHO_IMPORT_PYCOLMAP=1 (import pycolmap in the handler, as the
trainer does), ECHO_HANG_JOBS (job ids whose handler hangs after its first progress report, until the worker
stops). The handler keeps a scratch file in its work folder and fails if another run deletes it, and it
stops at the next step when the worker is shutting down (as the trainer stops at a checkpoint).
"""

import os
import signal
import time

from spaceport.events import Envelope, ImagesReady, SfmCompleted, SfmCompletedData, SfmMetrics
from spaceport.runtime import StageContext, StageSpec
from spaceport.runtime.bootstrap import main
from spaceport.storage import output_set


def _listed(variable: str, job_id: str) -> bool:
    return job_id in os.environ.get(variable, "").split(",")


def on_images_ready(event: ImagesReady, ctx: StageContext) -> list[Envelope]:
    """Write `result.txt` in pieces over ECHO_SLEEP_S seconds, then report success."""
    if runs := os.environ.get("ECHO_RUNS_FILE"):
        with open(runs, "a") as f:
            f.write(f"{event.job_id} {os.getpid()}\n")
    if _listed("ECHO_CRASH_JOBS", event.job_id):
        os.kill(os.getpid(), signal.SIGKILL)
    if _listed("ECHO_FAIL_JOBS", event.job_id):
        raise RuntimeError(f"echo stage told to fail {event.job_id}")
    if os.environ.get("ECHO_IMPORT_PYCOLMAP") == "1":
        import pycolmap  # noqa: F401  (its import installs glog's signal handlers)
    scratch = ctx.work_dir / "scratch.txt"
    scratch.write_text(event.id)
    steps = 5
    pieces = []
    for step in range(steps):
        time.sleep(float(os.environ.get("ECHO_SLEEP_S", "0.2")) / steps)
        ctx.check_cancelled()
        pieces.append(f"{event.job_id}:{step}")
        ctx.progress((step + 1) / steps, "echo")
        while _listed("ECHO_HANG_JOBS", event.job_id):
            time.sleep(0.1)
            ctx.check_cancelled()
    if scratch.read_text() != event.id:
        raise RuntimeError("the work folder was changed by another run")
    with output_set(ctx.store, ctx.prefix()) as out:
        uri = out.put_bytes("result.txt", "\n".join(pieces).encode())
    metrics = SfmMetrics(
        images_total=event.data.image_count,
        images_registered=event.data.image_count,
        points3d=1000,
        step_seconds={"pid": float(os.getpid())},
    )
    return [
        event.answered_by(
            SfmCompleted,
            "sfm",
            data=SfmCompletedData(
                sparse_uri=uri,
                images_uri=event.data.images_uri,
                report_uri=uri,
                metrics=metrics,
                options=event.data.options,
            ),
        )
    ]


ECHO_STAGE = StageSpec(name="sfm", handle=on_images_ready, prefetch=1)

if __name__ == "__main__":
    main(ECHO_STAGE)
