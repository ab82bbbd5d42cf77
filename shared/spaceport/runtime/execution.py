"""One run of a handler, owned by the worker process rather than by the delivery that started it.

The handler runs in a thread inside an asyncio task that also records the result and publishes the output
events. If the delivery's channel dies meanwhile (a broker restart), the coroutine that awaited the task is
cancelled but the task is not: the orphaned run finishes its job, and the redelivery of the same event, held
by `Executions`, acks it from the orphan's outcome instead of starting a second run. Each run has its own
work folder (job, event, process, run number), so two runs on one host never share scratch files.
"""

import asyncio
import itertools
import os
import shutil
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from spaceport.events import Envelope

OutcomeKind = Literal["done", "failed", "interrupted", "error"]
REMEMBERED = 512
"""Outcomes kept per process, for redeliveries of events this process already ran."""
_runs = itertools.count(1)


@dataclass(frozen=True)
class Outcome:
    """How a run ended: outputs published (`done`, or `failed` with a StageFailed), or not."""

    kind: OutcomeKind
    outputs: tuple[Envelope, ...] = ()
    error: BaseException | None = None
    published: bool = False

    @property
    def settled_by_outputs(self) -> bool:
        """Whether the delivery can be acked: the outputs are recorded and published."""
        return self.kind in ("done", "failed") and self.published


def run_folder(root: Path, stage: str, job_id: str, event_id: str) -> Path:
    """A fresh scratch folder for one run (unique per process and run)."""
    folder = root / stage / f"{job_id}-{event_id[:12]}-{os.getpid()}-{next(_runs)}"
    folder.mkdir(parents=True)
    return folder


def remove_folder(folder: Path) -> None:
    """Delete a run's scratch folder (never another run's)."""
    shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Executions:
    """The runs this process has going, by event id, and how recent ones ended."""

    running: dict[str, asyncio.Task[Outcome]] = field(default_factory=dict)
    finished: OrderedDict[str, Outcome] = field(default_factory=OrderedDict)

    def start(self, event_id: str, run: asyncio.Task[Outcome]) -> None:
        """Track `run` until it ends, then remember its outcome."""
        self.running[event_id] = run

        def done(task: asyncio.Task[Outcome]) -> None:
            self.running.pop(event_id, None)
            if not task.cancelled() and task.exception() is None:
                self.finished[event_id] = task.result()
                while len(self.finished) > REMEMBERED:
                    self.finished.popitem(last=False)

        run.add_done_callback(done)

    async def wait(self, event_id: str) -> Outcome | None:
        """The outcome of this process's run of `event_id` if one is running now (awaited), else None.

        A run that already ended before this delivery arrived is not its answer: such an event was published
        again, and the completion record re-publishes its result as the design says."""
        run = self.running.get(event_id)
        if run is None:
            return None
        await asyncio.wait([run])
        return self.finished.get(event_id)
