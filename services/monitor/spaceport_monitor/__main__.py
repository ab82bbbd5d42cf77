"""`python -m spaceport_monitor`: the monitor against RabbitMQ, the configured store and database."""

import asyncio

import structlog

from spaceport.logging import configure_logging
from spaceport.runtime.bootstrap import bus_from_settings, install_stop_handlers, store_from_settings
from spaceport.settings import Settings
from spaceport_monitor.runner import MonitorService
from spaceport_monitor.settings import MonitorSettings

log = structlog.get_logger(__name__)


async def serve(settings: Settings, config: MonitorSettings) -> None:
    """Run the monitor until SIGTERM or SIGINT."""
    log.info("service_starting", service="monitor", settings=settings.safe_summary())
    bus = bus_from_settings(settings, "monitor")
    store = store_from_settings(settings, create_bucket=False)
    service = MonitorService.build(settings, config, bus, store)
    stop = asyncio.Event()
    install_stop_handlers(asyncio.get_running_loop(), stop)
    try:
        await service.run(stop)
    finally:
        await bus.close()


def main() -> None:
    """Settings from the environment, logging, then serve until signalled."""
    settings = Settings()
    config = MonitorSettings()
    configure_logging(settings.log_level, settings.log_format)
    asyncio.run(serve(settings, config))


if __name__ == "__main__":
    main()
