"""SfM on one machine, training and compression on another: the scaling benchmark's split runs.

`run_until_sfm` runs only the SfM stage (the embedded pipeline's worker, in-memory bus, local folder) and ends at
its `SfmCompleted`; `pack_handoff` keeps what the next stages read (the SfM stage's artifacts, the event, the row so
far and a digest of every photo). `resume_from_handoff` puts the regenerated photos and those artifacts into a fresh
local store under the same job id and republishes the event to the trainer and compressor workers. This is the
deployed pipeline's split (an sfm worker on a CPU machine, the trainer on a GPU machine, handing over through
storage), for rows whose SfM does not fit beside the training in one device session: a 1,000-photo SfM maps for
about 20 minutes, mostly on one core.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spaceport.bus import MemoryBus
from spaceport.events import Envelope, SfmCompleted, new_job_id
from spaceport.params import JobOptions
from spaceport.settings import Settings
from spaceport.storage import LocalStore, job_prefix
from spaceport_app.cli.follow import TERMINAL, JobWatch, ProgressDisplay, wait_for_outcome
from spaceport_app.embedded.pipeline import EmbeddedRun, load_stages, stages_running
from spaceport_app.inputs import collect_inputs
from spaceport_app.submission import submit_job, upload_inputs

EVENT = "sfm_completed.json"
ROW = "row.json"
STORE_ROOT = "store_root.txt"
DIGESTS = "photos.json"
SFM = "sfm"


@dataclass
class SfmWatch(JobWatch):
    """A job watch that is done at `SfmCompleted` as well as at a terminal event."""

    def take(self, event: Envelope) -> None:
        """Record the event; `SfmCompleted` ends the watch."""
        super().take(event)
        if isinstance(event, SfmCompleted):
            self.done.set()


@dataclass(frozen=True)
class Handoff:
    """A packed SfM result: its folder and the photos' digests."""

    folder: Path

    @property
    def row(self) -> dict[str, Any]:
        """The benchmark row of the SfM run (upload and SfM seconds, memory, pairs, poses)."""
        row: dict[str, Any] = json.loads((self.folder / ROW).read_text())
        return row

    @property
    def digests(self) -> dict[str, str]:
        """SHA-256 of each photo SfM read, by file name."""
        digests: dict[str, str] = json.loads((self.folder / DIGESTS).read_text())
        return digests


def photo_digests(source: Path) -> dict[str, str]:
    """SHA-256 of each input file under `source`, by its path relative to `source`."""
    _, files = collect_inputs(source)
    base = source if source.is_dir() else source.parent
    return {path.relative_to(base).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest() for path in files}


async def run_until_sfm(
    source: Path, out_dir: Path, options: JobOptions, settings: Settings, display: ProgressDisplay | None = None
) -> EmbeddedRun:
    """Submit `source` to the SfM stage alone and wait for its `SfmCompleted` (or the job's terminal event)."""
    started = time.monotonic()
    bus, store = MemoryBus(), LocalStore(out_dir)
    watch = SfmWatch(new_job_id())
    sfm = [spec for spec in load_stages() if spec.name == "sfm"]
    async with stages_running(sfm, bus, store, settings, watch, display):
        await submit_job(bus, store, source, options, watch.job_id)
        await asyncio.wait_for(watch.done.wait(), 24 * 3600)
    outcome = next(e for e in reversed(watch.events) if isinstance(e, (SfmCompleted, *TERMINAL)))
    return EmbeddedRun(watch.job_id, outcome, tuple(watch.events), store.root, time.monotonic() - started)


def pack_handoff(run: EmbeddedRun, row: dict[str, Any], source: Path, dest: Path) -> Handoff:
    """Keep the SfM stage's artifacts, its `SfmCompleted`, the row and the photos' digests in `dest`."""
    if not isinstance(run.outcome, SfmCompleted):
        raise ValueError(f"SfM did not complete ({run.outcome.type}): nothing to hand over")
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    shutil.copytree(run.job_dir() / SFM, dest / SFM)
    (dest / EVENT).write_text(run.outcome.model_dump_json())
    (dest / STORE_ROOT).write_text(run.store_root.resolve().as_uri())
    (dest / ROW).write_text(json.dumps(row, indent=1))
    (dest / DIGESTS).write_text(json.dumps(photo_digests(source), indent=0))
    return Handoff(dest)


async def resume_from_handoff(
    handoff: Handoff, source: Path, out_dir: Path, settings: Settings, display: ProgressDisplay | None = None
) -> EmbeddedRun:
    """Store the photos and the handed-over SfM artifacts under the SfM run's job id in a fresh local store, then
    republish its `SfmCompleted` (its URIs moved to this store) to the trainer and compressor; wait for the end."""
    started = time.monotonic()
    store = LocalStore(out_dir)
    text = (handoff.folder / EVENT).read_text()
    moved = text.replace((handoff.folder / STORE_ROOT).read_text(), store.root.resolve().as_uri())
    event = SfmCompleted.model_validate_json(moved)
    upload_inputs(store, source, event.job_id)
    prefix = job_prefix(event.job_id, SFM)
    for path in sorted(p for p in (handoff.folder / SFM).rglob("*") if p.is_file()):
        store.put_file(prefix + path.relative_to(handoff.folder / SFM).as_posix(), path)
    bus, watch = MemoryBus(), JobWatch(event.job_id)
    after_sfm = [spec for spec in load_stages() if spec.name != "sfm"]
    async with stages_running(after_sfm, bus, store, settings, watch, display):
        await bus.publish(event)
        outcome = await wait_for_outcome(watch, 24 * 3600)
    return EmbeddedRun(event.job_id, outcome, tuple(watch.events), store.root, time.monotonic() - started)


def differing_photos(handoff: Handoff, source: Path) -> list[str]:
    """The photos whose bytes here differ from those SfM read (regenerated on another machine)."""
    here = photo_digests(source)
    return sorted(name for name, digest in handoff.digests.items() if here.get(name) != digest)
