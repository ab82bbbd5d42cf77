"""`spaceport status [JOB]` against a monitor API served over HTTP."""

from collections.abc import Iterator

import pytest
import typer
from pydantic import SecretStr
from typer.testing import CliRunner

from spaceport_app.cli import status
from spaceport_monitor.api import create_app
from spaceport_monitor.settings import MonitorSettings
from tests.unit.monitor.conftest import Harness, recorded
from tests.unit.monitor.live import serve_app

pytestmark = pytest.mark.unit


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    status.register(app)
    app.command("noop")(lambda: None)  # a second command keeps `status` a subcommand
    return app


@pytest.fixture
def monitor_url(harness: Harness) -> Iterator[str]:
    harness.feed([*recorded("success"), *recorded("rejected")])
    config = MonitorSettings(api_token=SecretStr("cli-token"))
    with serve_app(create_app(harness.api_context(config))) as url:
        yield url


def test_lists_jobs_with_their_criteria(cli: typer.Typer, monitor_url: str) -> None:
    """The list shows each job, its outcome and which criteria failed."""
    result = CliRunner().invoke(cli, ["status", "--url", monitor_url, "--token", "cli-token"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "job-ok" in result.output and "succeeded" in result.output
    assert "job-rejected" in result.output and "failed: sfm_points, sfm_registered" in result.output


def test_one_job_shows_timeline_and_exit_code(cli: typer.Typer, monitor_url: str) -> None:
    """A rejected job prints its criteria and hints and exits 1; the token can come from the environment."""
    result = CliRunner().invoke(
        cli,
        ["status", "job-rejected", "--url", monitor_url],
        env={"SPACEPORT_MONITOR_TOKEN": "cli-token", "COLUMNS": "200"},
    )
    assert result.exit_code == 1, result.output
    assert "sfm_points" in result.output and ">= 1,000" in result.output
    assert "hint: take more photos with overlap" in result.output


def test_missing_token_is_explained(cli: typer.Typer, monitor_url: str) -> None:
    """Without the token the command says what to do and exits 2."""
    result = CliRunner().invoke(cli, ["status", "--url", monitor_url], env={"SPACEPORT_MONITOR_TOKEN": ""})
    assert result.exit_code == 2
    assert "SPACEPORT_MONITOR_TOKEN" in result.output
