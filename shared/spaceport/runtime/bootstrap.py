"""Entry-point wiring: build real adapters from settings, run a worker until SIGTERM/SIGINT."""

import asyncio
import importlib
import importlib.util
import signal

import structlog

from spaceport.bus.rabbitmq import RabbitBus
from spaceport.runtime.health import HealthReporter
from spaceport.runtime.stage import StageSpec
from spaceport.runtime.worker import Worker
from spaceport.settings import Settings
from spaceport.storage import ObjectStore, open_store

log = structlog.get_logger(__name__)


def store_from_settings(settings: Settings, create_bucket: bool = True) -> ObjectStore:
    """The object store the settings name."""
    return open_store(
        settings.storage_url,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key=settings.s3_access_key.get_secret_value() if settings.s3_access_key else None,
        secret_key=settings.s3_secret_key.get_secret_value() if settings.s3_secret_key else None,
        create_bucket=create_bucket,
    )


def bus_from_settings(settings: Settings, name: str) -> RabbitBus:
    """The RabbitMQ bus the settings name."""
    return RabbitBus(
        settings.amqp_url.get_secret_value(),
        exchange=settings.exchange,
        publish_timeout_s=settings.publish_timeout_s,
        connection_name=f"spaceport-{name}",
    )


NATIVE_MODULES = ("pycolmap",)
"""Libraries that install their own signal handlers when first imported: pycolmap's import puts glog's
failure-signal handler over SIGTERM, so a worker that imported it in its first job died at once (exit 143, a
stack dump, no grace) on the next `docker stop`."""
SIGNAL_GUARD_S = 5.0


def preload_native_modules() -> list[str]:
    """Import `NATIVE_MODULES` that are installed, before this process installs its own signal handlers."""
    loaded = []
    for name in NATIVE_MODULES:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
            loaded.append(name)
    return loaded


def install_stop_handlers(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT set `stop` (installing again replaces whatever a library put there since)."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


async def _guard_signals(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """Re-install the stop handlers every few seconds, in case a library imported later replaced them."""
    while not stop.is_set():
        await asyncio.sleep(SIGNAL_GUARD_S)
        install_stop_handlers(loop, stop)


async def serve(spec: StageSpec, settings: Settings) -> None:
    """Run one worker of `spec` against RabbitMQ and the configured store until asked to stop."""
    log.info("service_starting", service=spec.name, settings=settings.safe_summary())
    preloaded = preload_native_modules()
    bus = bus_from_settings(settings, spec.name)
    store = store_from_settings(settings)
    worker = Worker(spec, bus, store, settings)
    health = HealthReporter(worker, settings.health_file, settings.health_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    install_stop_handlers(loop, stop)
    guard = asyncio.create_task(_guard_signals(loop, stop))
    log.info("signal_handlers_installed", preloaded=preloaded)
    await worker.start()
    await health.start()
    await stop.wait()
    log.info("service_stopping", service=spec.name, in_flight=worker.in_flight)
    health.status = "stopping"
    clean = await worker.stop()
    await health.stop()
    guard.cancel()
    await bus.close()
    log.info("service_stopped", service=spec.name, clean=clean)


def main(spec: StageSpec) -> None:
    """`python -m spaceport_<stage>`: settings from the environment, logging, then serve until signalled."""
    from spaceport.logging import configure_logging

    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    asyncio.run(serve(spec, settings))
