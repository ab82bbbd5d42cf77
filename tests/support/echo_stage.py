"""A test stage: takes a while, writes an output through the store, answers with SfmCompleted.

Run as a worker process with `python -m tests.support.echo_stage` (settings from SPACEPORT_* env;
ECHO_SLEEP_S sets how long each job takes, ECHO_FAIL_JOBS lists job ids whose handler always raises).
"""

import os
import time

from spaceport.events import Envelope, ImagesReady, SfmCompleted, SfmCompletedData, SfmMetrics
from spaceport.runtime import StageContext, StageSpec
from spaceport.runtime.bootstrap import main
from spaceport.storage import output_set


def on_images_ready(event: ImagesReady, ctx: StageContext) -> list[Envelope]:
    """Write `result.txt` in pieces over ECHO_SLEEP_S seconds, then report success."""
    if event.job_id in os.environ.get("ECHO_FAIL_JOBS", "").split(","):
        raise RuntimeError(f"echo stage told to fail {event.job_id}")
    steps = 5
    pieces = []
    for step in range(steps):
        time.sleep(float(os.environ.get("ECHO_SLEEP_S", "0.2")) / steps)
        pieces.append(f"{event.job_id}:{step}")
        ctx.progress((step + 1) / steps, "echo")
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


ECHO_STAGE = StageSpec(name="sfm", consumes=("images.ready",), handle=on_images_ready, prefetch=1)

if __name__ == "__main__":
    main(ECHO_STAGE)
