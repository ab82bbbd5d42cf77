"""Fixtures shared by every test level."""

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from spaceport.settings import Settings
from spaceport.storage import LocalStore
from tests.support.services import DEFAULT_AMQP, broker_reachable, free_port

REPO = Path(__file__).resolve().parents[1]


def datasets_root() -> Path:
    """`SPACEPORT_DATASETS`, else the first `shared/datasets` beside the repository or a folder above it."""
    if "SPACEPORT_DATASETS" in os.environ:
        return Path(os.environ["SPACEPORT_DATASETS"])
    candidates = [parent / "shared" / "datasets" for parent in REPO.parents] + [Path("/work/shared/datasets")]
    return next((c for c in candidates if (c / "fox").is_dir()), candidates[0])


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    """The read-only real photo sets; tests that need them fail loudly when they are missing."""
    root = datasets_root()
    if not (root / "fox").is_dir():
        pytest.fail(f"datasets not found at {root} (set SPACEPORT_DATASETS)")
    return root


@pytest.fixture
def local_store(tmp_path: Path) -> LocalStore:
    """A fresh local-folder object store."""
    return LocalStore(tmp_path / "store")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for in-process tests: scratch under tmp_path, no retry delay, one process (no lease settling)."""
    return Settings(
        work_dir=tmp_path / "work", retry_backoff_s=0.0, storage_url=f"file://{tmp_path}/store", lease_settle_s=0.0
    )


@pytest.fixture(scope="session")
def amqp_url() -> Iterator[str]:
    """A reachable RabbitMQ: SPACEPORT_TEST_AMQP_URL, the local broker, or a testcontainers container.

    Fails (never skips) when none is reachable: CI must run these tests.
    """
    url = os.environ.get("SPACEPORT_TEST_AMQP_URL", DEFAULT_AMQP)
    if broker_reachable(url):
        yield url
        return
    try:
        from testcontainers.rabbitmq import RabbitMqContainer

        with RabbitMqContainer("rabbitmq:3.13-management") as container:
            params = container.get_connection_params()
            yield f"amqp://guest:guest@{params.host}:{params.port}/"
            return
    except Exception as exc:  # no Docker engine either
        pytest.fail(f"no RabbitMQ at {url} and no Docker engine for a container: {exc}")


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3-protocol server on loopback (moto's standalone server), for the whole session."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Commands under test configure structlog for their own output stream; undo it after each test."""
    yield
    structlog.reset_defaults()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how long the fault-injection tests (marker `faults`) took, setup and teardown included."""
    reports = [
        report
        for outcome in ("passed", "failed", "error")
        for report in terminalreporter.stats.get(outcome, [])
        if getattr(report, "keywords", {}).get("faults")
    ]
    if reports:
        tests = {report.nodeid for report in reports}
        seconds = sum(report.duration for report in reports)
        terminalreporter.write_line(f"fault tests: {len(tests)} tests, {seconds:.1f} s in all")
