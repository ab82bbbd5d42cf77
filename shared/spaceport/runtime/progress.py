"""Progress from a handler's thread to the bus, noting when each held delivery last made progress."""

import asyncio
import time
from collections.abc import Mapping
from typing import Protocol

import structlog

from spaceport.bus import Bus
from spaceport.events import Envelope, StageProgress, StageProgressData

log = structlog.get_logger(__name__)


class _Held(Protocol):
    event_id: str
    last_progress: float


class ProgressRelay:
    """Publishes StageProgress on the worker's event loop from any thread (best effort)."""

    def __init__(self, bus: Bus, service: str, held: Mapping[int, _Held]) -> None:
        self.bus, self.service, self.held = bus, service, held
        self.loop: asyncio.AbstractEventLoop | None = None

    def send(self, event: Envelope, data: StageProgressData) -> None:
        """Note the progress of `event`'s deliveries and publish it; a lost publish is only logged."""
        now = time.monotonic()
        for held in list(self.held.values()):
            if held.event_id == event.id:
                held.last_progress = now
        if self.loop is None:
            return
        progress: StageProgress = event.answered_by(StageProgress, self.service, data=data)
        future = asyncio.run_coroutine_threadsafe(self.bus.publish(progress), self.loop)
        future.add_done_callback(lambda f: f.exception() and log.warning("progress_not_published"))
