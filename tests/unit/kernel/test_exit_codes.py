"""Job commands tell scripts how a job ended: a documented exit code, and the failed criteria named."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from spaceport.criteria import Thresholds
from spaceport_app.cli.exit_codes import ExitCode, failed_criteria
from spaceport_app.cli.follow import JobWatch
from spaceport_app.cli.main import app
from spaceport_app.cli.submit import describe_outcome, job_criteria
from spaceport_app.demo import generate_scene
from tests.unit.monitor.sequences import rejected, success, trainer_failure

pytestmark = pytest.mark.unit


def _watched(events: list) -> JobWatch:  # type: ignore[type-arg]
    watch = JobWatch(events[0].job_id)
    for event in events:
        watch.take(event)
    return watch


def test_submit_wait_exit_code_follows_the_criteria_of_a_finished_job() -> None:
    """A compressed job exits 0 when every criterion passed, 4 naming the failed one when one failed."""
    watch = _watched(success())
    assert watch.outcome is not None
    code, line = describe_outcome(watch.outcome, failed_criteria(job_criteria(watch, Thresholds())))
    assert code == ExitCode.OK and "done" in line
    strict = Thresholds(min_psnr_db={"standard": 40.0})
    code, line = describe_outcome(watch.outcome, failed_criteria(job_criteria(watch, strict)))
    assert code == ExitCode.CRITERIA_FAILED == 4
    assert "heldout_psnr" in line and "expected >= 40" in line


@pytest.mark.parametrize("events", [rejected(), trainer_failure()], ids=["rejected", "trainer-failed"])
def test_submit_wait_exits_1_for_a_job_without_a_splat(events: list) -> None:  # type: ignore[type-arg]
    """A rejection or a stage failure exits 1, whatever the criteria say."""
    watch = _watched(events)
    assert watch.outcome is not None
    code, _ = describe_outcome(watch.outcome, failed_criteria(job_criteria(watch, Thresholds())))
    assert code == ExitCode.FAILED == 1


def test_run_exits_4_and_names_the_failed_criterion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`spaceport run` of a job that finishes below its held-out floor exits 4 and names `heldout_psnr`."""
    scene = generate_scene(tmp_path / "scene", views=16, width=480, height=360, seed=5)
    monkeypatch.setenv("SPACEPORT_CRITERIA__MIN_PSNR_DB", '{"preview": 60.0}')
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(scene.images_dir),
            "--out",
            str(tmp_path / "out"),
            "--preset",
            "preview",
            "--set",
            "trainer.steps=20",
        ],
    )
    assert result.exit_code == ExitCode.CRITERIA_FAILED, result.output
    assert "1 success criterion failed: heldout_psnr" in " ".join(result.output.split())
