"""Run the SfM stage the way a deployment does: a Worker on the in-memory bus, with a local store."""

import asyncio
from dataclasses import dataclass

from spaceport.bus import Delivery, MemoryBus
from spaceport.events import Envelope, ImagesReady, StageProgress, parse_event
from spaceport.runtime import StageSpec, Worker
from spaceport.settings import Settings
from spaceport.storage import LocalStore
from spaceport_sfm.handler import STAGE

FINAL_TYPES = ("sfm.completed", "sfm.rejected", "stage.failed")


@dataclass(frozen=True)
class StageRun:
    """What the stage published for each job, in order."""

    events: list[Envelope]

    def final(self, job_id: str) -> Envelope:
        """The job's completed, rejected or failed event."""
        return next(e for e in self.events if e.job_id == job_id and e.type in FINAL_TYPES)

    def progress(self, job_id: str) -> list[StageProgress]:
        """The job's progress events."""
        return [e for e in self.events if e.job_id == job_id and isinstance(e, StageProgress)]


async def _run(
    jobs: list[ImagesReady], store: LocalStore, settings: Settings, spec: StageSpec, timeout_s: float
) -> StageRun:
    bus = MemoryBus()
    seen: list[Envelope] = []
    finished: set[str] = set()
    all_done = asyncio.Event()

    async def tap(delivery: Delivery) -> None:
        await delivery.ack()
        event = parse_event(delivery.body)
        seen.append(event)
        if event.type in FINAL_TYPES:
            finished.add(event.job_id)
            if finished >= {job.job_id for job in jobs}:
                all_done.set()

    await bus.watch(("#",), tap)
    worker = Worker(spec, bus, store, settings)
    await worker.start()
    for job in jobs:
        await bus.publish(job)
    await asyncio.wait_for(all_done.wait(), timeout_s)
    await worker.stop(grace_s=5)
    return StageRun(seen)


def run_stage(
    jobs: list[ImagesReady], store: LocalStore, settings: Settings, spec: StageSpec = STAGE, timeout_s: float = 300
) -> StageRun:
    """Publish `jobs`, let one SfM worker handle them, return everything published."""
    return asyncio.run(_run(jobs, store, settings, spec, timeout_s))
