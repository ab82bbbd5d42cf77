"""Run sfm, trainer and compressor in one process on a `MemoryBus` and a `LocalStore`."""

import importlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import structlog

from spaceport.bus import MemoryBus
from spaceport.events import Envelope, new_job_id
from spaceport.params import JobOptions
from spaceport.runtime import StageSpec, Worker
from spaceport.settings import Settings
from spaceport.storage import LocalStore
from spaceport_app.cli.follow import JobWatch, ProgressDisplay, start_watching, wait_for_outcome
from spaceport_app.submission import submit_job

log = structlog.get_logger(__name__)
PIPELINE = ("sfm", "trainer", "compressor")


@dataclass(frozen=True)
class EmbeddedRun:
    """What an embedded run produced."""

    job_id: str
    outcome: Envelope
    events: tuple[Envelope, ...]
    store_root: Path
    seconds: float

    @property
    def succeeded(self) -> bool:
        """Whether the job ended with `Compressed`."""
        return self.outcome.type == "model.compressed"

    def job_dir(self) -> Path:
        """The folder holding this job's artifacts."""
        return self.store_root / "jobs" / self.job_id


def load_stages() -> list[StageSpec]:
    """The stage specs of the pipeline services (each must be installed)."""
    stages = []
    for name in PIPELINE:
        try:
            module = importlib.import_module(f"spaceport_{name}.handler")
        except ImportError as exc:
            raise RuntimeError(f"the {name} service is not installed ({exc}): pip install '.[all]'") from exc
        stages.append(module.STAGE)
    return stages


@asynccontextmanager
async def stages_running(
    stages: list[StageSpec],
    bus: MemoryBus,
    store: LocalStore,
    settings: Settings,
    watch: JobWatch,
    display: ProgressDisplay | None = None,
) -> AsyncIterator[None]:
    """The stages' workers started on `bus`, and `watch` following the bus; unsubscribed and stopped after."""
    workers = [Worker(spec, bus, store, settings) for spec in stages]
    for worker in workers:
        await worker.start()
    subscription = await start_watching(bus, watch, display)
    try:
        yield
    finally:
        await subscription.cancel()
        for worker in workers:
            await worker.stop(grace_s=5)


async def run_embedded(
    source: Path,
    out_dir: Path,
    options: JobOptions,
    settings: Settings,
    display: ProgressDisplay | None = None,
    job_id: str | None = None,
    timeout_s: float = 24 * 3600,
    stages: list[StageSpec] | None = None,
) -> EmbeddedRun:
    """Submit `source` to an in-process pipeline and wait for the job to end; `stages` replaces the installed
    services' stage specs (`load_stages()`), e.g. to run a stage behind a wrapper."""
    started = time.monotonic()
    bus = MemoryBus()
    store = LocalStore(out_dir)
    watch = JobWatch(job_id or new_job_id())
    async with stages_running(stages or load_stages(), bus, store, settings, watch, display):
        await submit_job(bus, store, source, options, watch.job_id)
        outcome = await wait_for_outcome(watch, timeout_s)
    seconds = time.monotonic() - started
    log.info("embedded_run_finished", job_id=watch.job_id, outcome=outcome.type, seconds=round(seconds, 1))
    return EmbeddedRun(watch.job_id, outcome, tuple(watch.events), store.root, seconds)
