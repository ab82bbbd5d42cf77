"""Faults as a deployment meets them, on the real broker and a real S3 server: outages, restarts, duplicates,
crash loops and shutdowns. Each test counts what matters (runs of the handler, distinct results, failures)."""

import asyncio
import signal
import time
from pathlib import Path

import pytest

from spaceport.bus.rabbitmq import RabbitBus
from spaceport.runtime import Worker
from spaceport.settings import Settings
from spaceport.storage import S3Store
from tests.integration.kernel.test_rabbit_runtime import Tap, job, spec_for
from tests.integration.kernel.workers import echo_workers, worker_env
from tests.support.echo_stage import ECHO_STAGE
from tests.support.services import delete_topology
from tests.support.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.faults]

OUTAGE_S = 20.0
RECOVERY_BOUND_S = 40.0
"""After storage comes back, a held job completes within this (the runtime retries every <= 10 s, the S3 store
tries each call again at most 10 s apart)."""


def runs_of(path: Path, job_id: str) -> int:
    """How many times the echo handler started on `job_id` (one line per run in ECHO_RUNS_FILE)."""
    if not path.exists():
        return 0
    return sum(1 for line in path.read_text().splitlines() if line.split()[0] == job_id)


def proxied_url(amqp_url: str, port: int) -> str:
    """`amqp_url` with its host and port replaced by the loopback proxy's."""
    return amqp_url.replace(amqp_url.split("@")[1].split("/")[0], f"127.0.0.1:{port}")


async def test_s3_outage_at_delivery_and_mid_run_ends_in_completion(
    rabbit_bus: RabbitBus,
    amqp_url: str,
    exchange_name: str,
    s3_store: S3Store,
    s3_endpoint: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """S3 cut for 20 s while a job is delivered, and again while one runs: both complete, each run once, no
    StageFailed, no worker restart, within 40 s of storage coming back."""
    runs = tmp_path / "runs.txt"
    monkeypatch.setenv("ECHO_RUNS_FILE", str(runs))
    monkeypatch.setenv("ECHO_SLEEP_S", "3.0")
    proxy = TcpProxy("127.0.0.1", int(s3_endpoint.rsplit(":", 1)[1]))
    await proxy.start()
    store = S3Store(
        s3_store.bucket,
        "spaceport",
        endpoint_url=f"http://127.0.0.1:{proxy.port}",
        access_key="testing",
        secret_key="testing",
    )
    settings = Settings(exchange=exchange_name, retry_backoff_s=0.5, work_dir=tmp_path / "w", infra_retry_s=120)
    worker = Worker(ECHO_STAGE, rabbit_bus, store, settings)
    tap = await Tap().attach(rabbit_bus)
    try:
        await worker.start()
        proxy.down()
        await rabbit_bus.publish(job(1, "outage-at-delivery"))
        await asyncio.sleep(OUTAGE_S)
        proxy.up()
        back = time.monotonic()
        await tap.wait_for("sfm.completed", 1, timeout=RECOVERY_BOUND_S)
        first_s = time.monotonic() - back
        await rabbit_bus.publish(job(2, "outage-mid-run"))
        await asyncio.sleep(1.0)
        assert worker.current_jobs == {"outage-mid-run-02"}, "the second job is running"
        proxy.down()
        await asyncio.sleep(OUTAGE_S)
        proxy.up()
        back = time.monotonic()
        await tap.wait_for("sfm.completed", 2, timeout=RECOVERY_BOUND_S)
        second_s = time.monotonic() - back
        print(f"completed {first_s:.1f} s and {second_s:.1f} s after a {OUTAGE_S:.0f} s S3 outage")
    finally:
        await worker.stop(grace_s=5)
        await proxy.stop()
        await delete_topology(amqp_url, exchange_name, ("sfm",))
    assert tap.of_type("stage.failed") == []
    assert runs_of(runs, "outage-at-delivery-01") == 1 and runs_of(runs, "outage-mid-run-02") == 1
    assert worker.in_flight == 0


async def test_broker_restart_mid_run_runs_the_job_once(
    rabbit_bus: RabbitBus,
    amqp_url: str,
    exchange_name: str,
    s3_store: S3Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker's broker connection drops while a job runs: the redelivery waits for the orphaned run, which
    completes; the handler ran exactly once, one result, no failure."""
    runs = tmp_path / "runs.txt"
    monkeypatch.setenv("ECHO_RUNS_FILE", str(runs))
    monkeypatch.setenv("ECHO_SLEEP_S", "6.0")
    proxy = TcpProxy("127.0.0.1", int(amqp_url.split("@")[1].split("/")[0].rsplit(":", 1)[1]))
    await proxy.start()
    worker_bus = RabbitBus(proxied_url(amqp_url, proxy.port), exchange=exchange_name, publish_timeout_s=10)
    settings = Settings(exchange=exchange_name, retry_backoff_s=0.0, work_dir=tmp_path / "w")
    worker = Worker(ECHO_STAGE, worker_bus, s3_store, settings)
    tap = await Tap().attach(rabbit_bus)
    try:
        await worker.start()
        await rabbit_bus.publish(job(1, "restart"))
        await asyncio.sleep(2.0)
        assert worker.current_jobs == {"restart-01"}
        proxy.cut()
        await tap.wait_for("sfm.completed", 1, timeout=60)
        await asyncio.sleep(3.0)  # time for a second run to show up, if there were one
        assert proxy.connections >= 2, "the worker reconnected"
    finally:
        await worker.stop(grace_s=10)
        await worker_bus.close()
        await proxy.stop()
        await delete_topology(amqp_url, exchange_name, ("sfm",))
    assert runs_of(runs, "restart-01") == 1
    assert len({e.id for e in tap.of_type("sfm.completed")}) == 1
    assert tap.of_type("stage.failed") == []
    assert await rabbit_bus.queue_depth(spec_for(exchange_name).queue) == 0


async def test_one_event_delivered_to_two_workers_on_one_host_completes_once(
    rabbit_bus: RabbitBus,
    amqp_url: str,
    exchange_name: str,
    s3_store: S3Store,
    s3_endpoint: str,
    tmp_path: Path,
) -> None:
    """The same event published twice reaches two worker processes sharing one work root: one runs it, the
    other waits on its lease and acks the recorded result; one run, one result, no failure."""
    runs = tmp_path / "runs.txt"
    tap = await Tap().attach(rabbit_bus)
    await rabbit_bus.declare(spec_for(exchange_name))
    env = worker_env(
        amqp_url,
        exchange_name,
        s3_endpoint,
        s3_store.bucket,
        ECHO_SLEEP_S="4.0",
        ECHO_RUNS_FILE=str(runs),
        SPACEPORT_WORK_DIR=str(tmp_path / "shared-work"),
    )
    event = job(1, "duplicate")
    with echo_workers(2, env, tmp_path):
        await rabbit_bus.publish(event)
        await rabbit_bus.publish(event)
        await tap.wait_for("sfm.completed", 1, timeout=60)
        deadline = time.monotonic() + 30
        while await rabbit_bus.queue_depth(spec_for(exchange_name).queue) or len(tap.of_type("sfm.completed")) < 2:
            assert time.monotonic() < deadline, f"the duplicate was not settled: {tap.summary()}"
            await asyncio.sleep(0.5)
    await delete_topology(amqp_url, exchange_name, ("sfm",))
    assert runs_of(runs, "duplicate-01") == 1
    assert len({e.id for e in tap.of_type("sfm.completed")}) == 1
    assert tap.of_type("stage.failed") == []


async def test_sigterm_after_a_first_job_that_imported_pycolmap_exits_cleanly(
    rabbit_bus: RabbitBus,
    amqp_url: str,
    exchange_name: str,
    s3_store: S3Store,
    s3_endpoint: str,
    tmp_path: Path,
) -> None:
    """A worker whose first job imported pycolmap (glog's signal handlers) still stops on SIGTERM: the second
    job stops at its next step and goes back to the queue, and the process exits 0."""
    tap = await Tap().attach(rabbit_bus)
    await rabbit_bus.declare(spec_for(exchange_name))
    env = worker_env(
        amqp_url,
        exchange_name,
        s3_endpoint,
        s3_store.bucket,
        ECHO_SLEEP_S="3.0",
        ECHO_IMPORT_PYCOLMAP="1",
        SPACEPORT_SHUTDOWN_GRACE_S="0.5",
    )
    with echo_workers(1, env, tmp_path) as (worker,):
        await rabbit_bus.publish(job(1, "term"))
        await tap.wait_for("sfm.completed", 1, timeout=60)
        await rabbit_bus.publish(job(2, "term"))
        await asyncio.sleep(1.0)
        worker.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(worker.wait, 30)
    log = (tmp_path / "worker-0.log").read_text()
    assert code == 0, log[-3000:]
    assert "handler_interrupted" in log and "service_stopped" in log
    assert [e.job_id for e in tap.of_type("sfm.completed")] == ["term-01"]
    assert await rabbit_bus.queue_depth(spec_for(exchange_name).queue) == 1
    await delete_topology(amqp_url, exchange_name, ("sfm",))


async def test_a_worker_killed_on_every_attempt_ends_the_job_in_a_failure(
    rabbit_bus: RabbitBus,
    amqp_url: str,
    exchange_name: str,
    s3_store: S3Store,
    s3_endpoint: str,
    tmp_path: Path,
) -> None:
    """A job whose handler kills its worker every time (an out-of-memory kill), the worker restarted each time:
    past the delivery limit the worker publishes a `crash_loop` StageFailed without running it, and the
    monitor records it as the job's failure."""
    from pydantic import SecretStr

    from spaceport.storage import LocalStore
    from spaceport_monitor.runner import MonitorService
    from spaceport_monitor.settings import MonitorSettings

    tap = await Tap().attach(rabbit_bus)
    await rabbit_bus.declare(spec_for(exchange_name))
    settings = Settings(amqp_url=SecretStr(amqp_url), exchange=exchange_name, work_dir=tmp_path / "mw")
    config = MonitorSettings(database_url=SecretStr(f"sqlite:///{tmp_path}/monitor.db"), port=0, services=("sfm",))
    monitor = MonitorService.build(settings, config, rabbit_bus, LocalStore(tmp_path / "store"))
    stop = asyncio.Event()
    running = asyncio.create_task(monitor.run(stop))
    await asyncio.wait_for(monitor.ready.wait(), 15)
    env = worker_env(amqp_url, exchange_name, s3_endpoint, s3_store.bucket, ECHO_CRASH_JOBS="crash-01")
    starts = 0
    try:
        await rabbit_bus.publish(job(1, "crash"))
        deadline = time.monotonic() + 120
        while not tap.of_type("stage.failed"):
            assert time.monotonic() < deadline, f"no StageFailed after {starts} worker starts: {tap.summary()}"
            with echo_workers(1, env, tmp_path) as (worker,):
                starts += 1
                while worker.poll() is None and not tap.of_type("stage.failed"):
                    assert time.monotonic() < deadline, f"no StageFailed after {starts} worker starts"
                    await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)
        record = monitor.api.repo.get("crash-01")
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
        await delete_topology(amqp_url, exchange_name, ("sfm", "monitor"))
    [failed] = tap.of_type("stage.failed")
    assert failed.data.reason == "crash_loop" and failed.data.attempts == 3  # type: ignore[attr-defined]
    assert starts == 4, "three deliveries killed their worker, the fourth ended the job"
    assert record is not None and record.outcome == "failed"
    assert record.failure is not None and record.failure.reason == "crash_loop"


async def test_a_job_whose_progress_stops_raises_a_stall_alert(
    rabbit_bus: RabbitBus,
    amqp_url: str,
    exchange_name: str,
    s3_store: S3Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A handler that hangs after its first progress report, its delivery unacked: the monitor raises
    `stalled_sfm` within stall_after_s (3 s here) plus one sweep, and its unacked gauge shows the delivery
    while the queue-depth gauge shows 0."""
    from pydantic import SecretStr

    from spaceport.storage import LocalStore
    from spaceport_monitor.runner import MonitorService
    from spaceport_monitor.settings import MonitorSettings

    stall_after_s, sweep_s = 3.0, 0.5
    monkeypatch.setenv("ECHO_HANG_JOBS", "hang-01")
    tap = await Tap().attach(rabbit_bus)
    criteria = Settings().criteria.model_copy(update={"stall_after_s": stall_after_s})
    settings = Settings(
        amqp_url=SecretStr(amqp_url), exchange=exchange_name, work_dir=tmp_path / "w", criteria=criteria
    )
    config = MonitorSettings(
        database_url=SecretStr(f"sqlite:///{tmp_path}/monitor.db"), port=0, services=("sfm",), sweep_interval_s=sweep_s
    )
    monitor = MonitorService.build(settings, config, rabbit_bus, LocalStore(tmp_path / "store"))
    stop = asyncio.Event()
    running = asyncio.create_task(monitor.run(stop))
    await asyncio.wait_for(monitor.ready.wait(), 15)
    worker = Worker(ECHO_STAGE, rabbit_bus, s3_store, settings.model_copy(update={"shutdown_grace_s": 0.5}))
    try:
        await worker.start()
        await rabbit_bus.publish(job(1, "hang"))
        while not [e for e in tap.of_type("stage.progress") if e.job_id == "hang-01"]:
            await asyncio.sleep(0.1)
        last_progress = time.monotonic()
        while not [a for a in tap.of_type("monitor.alert") if a.job_id == "hang-01"]:
            assert time.monotonic() - last_progress < stall_after_s + 5 * sweep_s + 2, "no stall alert in time"
            await asyncio.sleep(0.1)
        alerted_after = time.monotonic() - last_progress
        queue = spec_for(exchange_name).queue
        unacked = f'spaceport_queue_unacked{{queue="{queue}"}} 1.0'
        deadline = time.monotonic() + 15  # the management API refreshes its queue figures every 5 s
        while unacked not in (samples := monitor.api.metrics.render().decode()):
            assert time.monotonic() < deadline, [line for line in samples.splitlines() if "spaceport_queue" in line]
            await asyncio.sleep(0.5)
    finally:
        await worker.stop(grace_s=0.5)
        stop.set()
        await asyncio.wait_for(running, 30)
        await delete_topology(amqp_url, exchange_name, ("sfm", "monitor"))
    [alert] = [a for a in tap.of_type("monitor.alert") if a.job_id == "hang-01"]
    assert alert.data.criterion == "stalled_sfm"  # type: ignore[attr-defined]
    assert stall_after_s <= alerted_after <= stall_after_s + 2 * sweep_s + 1.5, alerted_after
    assert f'spaceport_queue_depth{{queue="{queue}"}} 0.0' in samples
