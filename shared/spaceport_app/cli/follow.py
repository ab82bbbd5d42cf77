"""Following a job's events with a progress display, until it succeeds or fails."""

import asyncio
import time
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from spaceport.bus import Bus, Delivery, Subscription
from spaceport.events import (
    Compressed,
    Envelope,
    EventError,
    SfmRejected,
    StageFailed,
    StageProgress,
    parse_event,
)

STAGES = ("sfm", "trainer", "compressor")
STAGE_OF_RESULT = {"sfm.completed": "sfm", "model.trained": "trainer", "model.compressed": "compressor"}
TERMINAL = (Compressed, SfmRejected, StageFailed)


@dataclass
class JobWatch:
    """Collects one job's events; `done` is set by its terminal event."""

    job_id: str
    events: list[Envelope] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    started: float = field(default_factory=time.monotonic)

    @property
    def outcome(self) -> Envelope | None:
        """The terminal event, once there is one."""
        return next((e for e in reversed(self.events) if isinstance(e, TERMINAL)), None)

    def take(self, event: Envelope) -> None:
        """Record an event of this job (duplicates by id are ignored)."""
        if any(e.id == event.id for e in self.events):
            return
        self.events.append(event)
        if isinstance(event, TERMINAL) and not (
            isinstance(event, StageFailed) and event.data.retryable and event.data.reason == "interrupted"
        ):
            self.done.set()


class ProgressDisplay:
    """One bar per stage, fed by StageProgress and result events."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.fields[stage]:<10}"),
            BarColumn(),
            TextColumn("{task.percentage:>5.1f}%"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.description}"),
            console=console,
            transient=False,
        )
        self.tasks: dict[str, TaskID] = {
            s: self.progress.add_task("waiting", total=1.0, stage=s, start=False) for s in STAGES
        }
        self.console = console
        self._printed: dict[str, float] = {}

    def show(self, event: Envelope) -> None:
        """Update the bars (on a terminal) or print a line per tenth of each stage (in logs)."""
        if not self.console.is_terminal:
            self._print_line(event)
            return
        if isinstance(event, StageProgress) and event.data.stage in self.tasks:
            task = self.tasks[event.data.stage]
            self.progress.start_task(task)
            text = " ".join(x for x in (event.data.step, event.data.message) if x)
            self.progress.update(task, completed=event.data.fraction, description=text[:60])
        elif event.type in STAGE_OF_RESULT:
            task = self.tasks[STAGE_OF_RESULT[event.type]]
            self.progress.start_task(task)
            self.progress.update(task, completed=1.0, description="done")

    def _print_line(self, event: Envelope) -> None:
        if isinstance(event, StageProgress):
            stage, fraction = event.data.stage, event.data.fraction
            if fraction - self._printed.get(stage, -1.0) < 0.1:
                return
            self._printed[stage] = fraction
            eta = f" eta {event.data.eta_seconds:.0f} s" if event.data.eta_seconds is not None else ""
            text = " ".join(x for x in (event.data.step, event.data.message) if x)
            self.console.print(f"{stage:<10} {fraction:6.1%}{eta}  {text}"[:160], highlight=False)
        elif event.type in STAGE_OF_RESULT:
            self.console.print(f"{STAGE_OF_RESULT[event.type]:<10} done", highlight=False)


async def start_watching(bus: Bus, watch: JobWatch, display: ProgressDisplay | None = None) -> Subscription:
    """Begin collecting the job's events (start this before publishing its first event)."""

    async def on_delivery(delivery: Delivery) -> None:
        await delivery.ack()
        try:
            event = parse_event(delivery.body)
        except EventError:
            return
        if event.job_id == watch.job_id:
            watch.take(event)
            if display is not None:
                display.show(event)

    return await bus.watch(("#",), on_delivery)


async def wait_for_outcome(watch: JobWatch, timeout_s: float) -> Envelope:
    """The job's terminal event; `TimeoutError` if none comes within `timeout_s`."""
    await asyncio.wait_for(watch.done.wait(), timeout_s)
    outcome = watch.outcome
    if outcome is None:
        raise RuntimeError("job watch ended without a terminal event")
    return outcome
