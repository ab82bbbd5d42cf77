"""A monitor fed directly (no bus) on a SQL database, with a clock the test moves, and its API context."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from spaceport.events import Alert, Envelope, parse_event
from spaceport.runtime import StageContext
from spaceport.settings import Settings
from spaceport.storage import LocalStore
from spaceport_monitor.api import ApiContext
from spaceport_monitor.db import open_database
from spaceport_monitor.links import signer_for
from spaceport_monitor.metrics import MonitorMetrics
from spaceport_monitor.repository import Repository
from spaceport_monitor.service import Monitor
from spaceport_monitor.settings import MonitorSettings
from tests.unit.monitor.sequences import T0

RECORDED = Path(__file__).parent / "recorded"


def recorded(name: str) -> list[Envelope]:
    """A recorded event sequence, parsed from its wire form."""
    return [parse_event(line) for line in (RECORDED / f"{name}.jsonl").read_text().splitlines() if line.strip()]


class Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Harness:
    """A monitor on an in-memory SQLite database, fed directly (no bus)."""

    monitor: Monitor
    repo: Repository
    metrics: MonitorMetrics
    settings: Settings
    store: LocalStore
    clock: Clock
    work: Path

    def api_context(
        self, config: MonitorSettings | None = None, clock: Callable[[], float] | None = None
    ) -> ApiContext:
        """What the API needs, on this harness's database, store and clock."""
        config = config or MonitorSettings()
        signer = signer_for(config, clock) if clock else signer_for(config)
        return ApiContext(
            repo=self.repo,
            metrics=self.metrics,
            store=self.store,
            thresholds=self.settings.criteria,
            config=config,
            signer=signer,
            clock=self.clock,
        )

    def feed(self, events: Iterable[Envelope], attempt: int = 1) -> list[Alert]:
        """Hand each event to the handler as the runtime would; returns every Alert it returned."""
        out: list[Alert] = []
        for event in events:
            ctx = StageContext(
                stage="monitor",
                event=event,
                store=self.store,
                work_dir=self.work,
                settings=self.settings,
                attempt=attempt,
            )
            out.extend(a for a in self.monitor.on_event(event, ctx) if isinstance(a, Alert))
        return out


def build_harness(
    root: Path,
    settings: Settings,
    database_url: str = "sqlite://",
    criteria: dict[str, object] | None = None,
    webhook: bool = False,
    **config: object,
) -> Harness:
    """A harness under `root`; `criteria` overrides thresholds, keywords override `MonitorSettings`."""
    s = settings.model_copy(update={"criteria": settings.criteria.model_copy(update=criteria or {})})
    repo = Repository(open_database(database_url), webhook_enabled=webhook)
    metrics = MonitorMetrics(repo)
    clock = Clock(T0)
    monitor = Monitor(repo, metrics, MonitorSettings(**config), clock=clock)  # type: ignore[arg-type]
    return Harness(monitor, repo, metrics, s, LocalStore(root / "store"), clock, root / "work")
