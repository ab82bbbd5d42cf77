"""One monitor process: the bus worker, the HTTP API and the periodic checks, started and stopped together."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import structlog
import uvicorn

from spaceport.bus import Bus
from spaceport.runtime import Worker
from spaceport.settings import Settings
from spaceport.storage import ObjectStore
from spaceport_monitor.api import ApiContext, create_app
from spaceport_monitor.broker_api import BrokerApi
from spaceport_monitor.db import open_database
from spaceport_monitor.links import signer_for
from spaceport_monitor.metrics import MonitorMetrics
from spaceport_monitor.notify import WebhookNotifier
from spaceport_monitor.repository import Repository
from spaceport_monitor.service import Monitor
from spaceport_monitor.settings import MonitorSettings

log = structlog.get_logger(__name__)
CANCEL_GRACE_S = 2.0
"""How long shutdown waits for tasks it cancelled (past `shutdown_timeout_s`) before it returns without them."""


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the monitor decides when the whole process stops."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class Phase:
    """Where the process is in its life, as `/healthz` reports it."""

    value: str = "starting"


@dataclass
class MonitorService:
    """Everything one monitor process runs, built from settings and the adapters it is given."""

    monitor: Monitor
    worker: Worker
    api: ApiContext
    notifier: WebhookNotifier | None
    bus: Bus
    settings: Settings
    config: MonitorSettings
    phase: Phase = field(default_factory=Phase)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once the monitor consumes its queue (events published from then on are seen)."""
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    """Set by `shutdown`: the periodic checks end after the step in progress, never in the middle of one."""

    @classmethod
    def build(cls, settings: Settings, config: MonitorSettings, bus: Bus, store: ObjectStore) -> "MonitorService":
        """Open the database and wire the parts."""
        engine = open_database(config.database_url.get_secret_value())
        repo = Repository(engine, webhook_enabled=config.webhook_url is not None)
        metrics = MonitorMetrics(repo)
        api_url = config.rabbitmq_api_url.get_secret_value() if config.rabbitmq_api_url else None
        broker_api = BrokerApi.from_amqp_url(settings.amqp_url.get_secret_value(), api_url)
        monitor = Monitor(repo, metrics, config, broker_api=broker_api)
        worker = Worker(monitor.spec(), bus, store, settings)
        worker.queue = replace(worker.queue, service=config.queue_name)
        phase = Phase()
        api = ApiContext(
            repo=repo,
            metrics=metrics,
            store=store,
            thresholds=settings.criteria,
            config=config,
            signer=signer_for(config),
            clock=monitor.clock,
            worker_status=lambda: phase.value,
        )
        notifier = None
        if config.webhook_url is not None:
            notifier = WebhookNotifier(
                repo,
                metrics,
                config.webhook_url.get_secret_value(),
                config.webhook_timeout_s,
                config.webhook_max_attempts,
                config.public_url,
            )
        return cls(monitor, worker, api, notifier, bus, settings, config, phase)

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until `stop` is set, then stop taking events, finish the current ones and close."""
        server = _Server(
            uvicorn.Config(
                create_app(self.api),
                host=self.config.host,
                port=self.config.port,
                log_config=None,
                access_log=False,
                lifespan="off",
            )
        )
        await self.worker.start()
        self.phase.value = "consuming"
        self.ready.set()
        tasks = [
            asyncio.create_task(server.serve(), name="api"),
            asyncio.create_task(self._every(self.config.sweep_interval_s, self._sweep), name="sweep"),
        ]
        if self.notifier is not None:
            tasks.append(
                asyncio.create_task(
                    self._every(self.config.notify_interval_s, self.notifier.deliver_pending), name="notify"
                )
            )
        log.info(
            "monitor_started",
            host=self.config.host,
            port=self.config.port,
            auth=self.config.api_token is not None,
            webhook=self.notifier is not None,
        )
        stop_requested = asyncio.create_task(stop.wait())
        await asyncio.wait([stop_requested, *tasks], return_when=asyncio.FIRST_COMPLETED)
        await self.shutdown(server, tasks)
        stop_requested.cancel()

    async def shutdown(self, server: uvicorn.Server, tasks: Sequence[asyncio.Task[None]]) -> None:
        """Stop consuming, let in-flight events finish, then stop the API and the loops; returns even if one of
        them does not end (it is cancelled after `shutdown_timeout_s`, then left behind with a warning)."""
        self.phase.value = "stopping"
        self.stopping.set()
        clean = await self.worker.stop()
        server.should_exit = True
        await self._settle(tasks)
        if self.notifier is not None:
            await self.notifier.deliver_pending()
        log.info("monitor_stopped", clean=clean)

    async def _settle(self, tasks: Sequence[asyncio.Task[None]]) -> None:
        """Wait for `tasks` to end by themselves, then cancel those still running; log any that ended in an error
        and any that outlived their cancellation too."""
        _, pending = await asyncio.wait(tasks, timeout=self.config.shutdown_timeout_s)
        if pending:
            log.warning("monitor_tasks_cancelled", tasks=sorted(t.get_name() for t in pending))
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=CANCEL_GRACE_S)
        for task in tasks:
            if task.done() and not task.cancelled() and (error := task.exception()) is not None:
                log.warning("monitor_task_failed", task=task.get_name(), error=repr(error))
        if pending:
            log.warning(
                "monitor_tasks_not_stopped",
                tasks=sorted(t.get_name() for t in pending),
                waited_s=self.config.shutdown_timeout_s + CANCEL_GRACE_S,
            )

    async def _sweep(self) -> object:
        return await self.monitor.sweep(self.bus, self.settings.criteria, self.settings.exchange)

    async def _every(self, interval_s: float, step: Callable[[], Awaitable[object]]) -> None:
        """Run `step` `interval_s` apart until `stopping` is set; an error is logged and the loop goes on."""
        while not self.stopping.is_set():
            try:
                await step()
            except Exception as exc:
                log.warning("periodic_check_failed", step=getattr(step, "__name__", "step"), error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), interval_s)
