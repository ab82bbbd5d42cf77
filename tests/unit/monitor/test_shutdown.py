"""Stopping the whole monitor process: a periodic check in progress ends by itself, and one that never ends does
not keep the process from stopping."""

import asyncio
import time
from pathlib import Path

import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from spaceport.bus import MemoryBus
from spaceport.settings import Settings
from spaceport.storage import LocalStore
from spaceport_monitor.runner import MonitorService
from spaceport_monitor.settings import MonitorSettings

pytestmark = pytest.mark.unit


class GatedBus(MemoryBus):
    """An in-memory bus whose `queue_depth` waits until the test opens a gate, as a slow broker would."""

    def __init__(self, ignores_cancel: bool = False) -> None:
        super().__init__()
        self.entered = asyncio.Event()
        self.gate = asyncio.Event()
        self.ignores_cancel = ignores_cancel
        self.cancelled = 0
        self.finished = 0

    async def queue_depth(self, queue: str) -> int:
        self.entered.set()
        while not self.gate.is_set():
            try:
                await self.gate.wait()
            except asyncio.CancelledError:
                self.cancelled += 1
                if not self.ignores_cancel:
                    raise
        self.finished += 1
        return await super().queue_depth(queue)


def monitor_on(bus: GatedBus, tmp_path: Path, settings: Settings, **config: object) -> MonitorService:
    """The whole monitor on `bus`, watching one service; sweeps a minute apart, so only the first one runs."""
    monitor_config = MonitorSettings(
        database_url=SecretStr(f"sqlite:///{tmp_path}/monitor.db"),
        port=0,
        services=("sfm",),
        sweep_interval_s=60.0,
        **config,  # type: ignore[arg-type]
    )
    service = MonitorService.build(settings, monitor_config, bus, LocalStore(tmp_path / "store"))
    service.monitor.broker_api = None  # no management API in unit tests
    return service


async def test_a_sweep_in_progress_when_stop_is_set_runs_to_its_end(tmp_path: Path, settings: Settings) -> None:
    """Stop set while a sweep waits on the broker: the sweep is not cancelled, run() waits for it, and once the
    broker answers the sweep asks for both queues' depths and run() returns."""
    bus = GatedBus()
    service = monitor_on(bus, tmp_path, settings)
    stop = asyncio.Event()
    running = asyncio.create_task(service.run(stop))
    await asyncio.wait_for(bus.entered.wait(), 10)
    stop.set()
    await asyncio.sleep(0.5)
    assert (running.done(), bus.cancelled) == (False, 0), "the sweep in progress was cancelled"
    bus.gate.set()
    await asyncio.wait_for(running, 10)
    assert (bus.cancelled, bus.finished) == (0, 2)


async def test_a_sweep_that_never_ends_does_not_keep_run_from_returning(tmp_path: Path, settings: Settings) -> None:
    """A sweep stuck in a broker call that swallows every cancellation: run() still returns within
    shutdown_timeout_s (0.5 s) plus a 3 s margin, and a warning names the sweep as left behind."""
    bus = GatedBus(ignores_cancel=True)
    service = monitor_on(bus, tmp_path, settings, shutdown_timeout_s=0.5)
    stop = asyncio.Event()
    running = asyncio.create_task(service.run(stop))
    await asyncio.wait_for(bus.entered.wait(), 10)
    with capture_logs() as logs:
        stop.set()
        started = time.monotonic()
        await asyncio.wait([running], timeout=0.5 + 3.0)
        took = time.monotonic() - started
    bus.gate.set()  # let the stuck sweep end before the test's event loop closes
    await asyncio.wait([t for t in asyncio.all_tasks() if t.get_name() == "sweep"], timeout=5)
    assert running.done(), f"run() had not returned {took:.1f} s after stop"
    assert bus.cancelled == 1, "the stuck sweep was cancelled once, after shutdown_timeout_s"
    assert [e["tasks"] for e in logs if e["event"] == "monitor_tasks_not_stopped"] == [["sweep"]]
