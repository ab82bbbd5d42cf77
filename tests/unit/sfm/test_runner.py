"""The pycolmap child process: a native crash, a hang or an error becomes an SfmError, never a dead worker."""

import sys
import time
from pathlib import Path

import pytest

from spaceport.params import SfmParams
from spaceport_sfm.errors import SfmCancelled, SfmError
from spaceport_sfm.protocol import ChildProgress, ChildRequest
from spaceport_sfm.runner import run_child

pytestmark = pytest.mark.unit


def request(tmp_path: Path) -> ChildRequest:
    return ChildRequest(images_dir=tmp_path, image_names=("a.jpg",), work_dir=tmp_path / "attempt", params=SfmParams())


def child(code: str) -> list[str]:
    """A stand-in child process running `code` (it gets the request and result paths as arguments)."""
    return [sys.executable, "-c", code]


def test_native_abort_is_reported_with_its_signal(tmp_path: Path) -> None:
    """A child killed by SIGABRT (as pycolmap's vocab-tree download does offline) gives `sfm_crashed`."""
    code = "import sys, os; sys.stderr.write('F0000 fatal: vocab tree\\n'); sys.stderr.flush(); os.abort()"
    with pytest.raises(SfmError) as caught:
        run_child(request(tmp_path), 30, lambda p: None, command=child(code))
    assert caught.value.reason == "sfm_crashed" and "SIGABRT" in caught.value.message
    assert "vocab tree" in caught.value.message and caught.value.log_path is not None


def test_a_hang_is_stopped_at_the_time_limit(tmp_path: Path) -> None:
    """A child that never finishes is killed after the limit and reported as `sfm_timeout`."""
    start = time.monotonic()
    with pytest.raises(SfmError) as caught:
        run_child(request(tmp_path), 1.0, lambda p: None, command=child("import time; time.sleep(60)"))
    assert caught.value.reason == "sfm_timeout" and time.monotonic() - start < 10


def test_cancellation_kills_the_child(tmp_path: Path) -> None:
    """When the caller asks to stop, the child is killed and SfmCancelled raised."""
    start = time.monotonic()
    with pytest.raises(SfmCancelled):
        run_child(
            request(tmp_path),
            60,
            lambda p: None,
            cancelled=lambda: time.monotonic() - start > 0.5,
            command=child("import time; time.sleep(60)"),
        )
    assert time.monotonic() - start < 10


def test_python_error_in_the_child_is_reported(tmp_path: Path) -> None:
    """The real child, given images that do not exist, fails with `sfm_error` and COLMAP's log kept."""
    with pytest.raises(SfmError) as caught:
        missing = request(tmp_path / "missing").model_copy(update={"work_dir": tmp_path / "w"})
        run_child(missing, 60, lambda p: None)
    assert caught.value.reason == "sfm_error"
    assert caught.value.log_path is not None and caught.value.log_path.stat().st_size > 0


def test_progress_lines_reach_the_caller(tmp_path: Path) -> None:
    """Step messages the child prints arrive as ChildProgress, in order."""
    line = ChildProgress(step="matching", fraction=0.5, message="half").model_dump_json()
    code = f"import sys; print({line!r}); sys.exit(3)"
    seen: list[ChildProgress] = []
    with pytest.raises(SfmError):
        run_child(request(tmp_path), 30, seen.append, command=child(code))
    assert [(p.step, p.fraction, p.message) for p in seen] == [("matching", 0.5, "half")]
