"""The pycolmap child does not outlive a worker killed outright (it runs in its own session)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

WORKER = """
import sys
from pathlib import Path
from spaceport.params import SfmParams
from spaceport_sfm.protocol import ChildRequest
from spaceport_sfm.runner import run_child
tmp = Path(sys.argv[1])
child = (
    "import os, sys, time; from pathlib import Path\\n"
    + ("from spaceport_sfm.parent_watch import die_with_parent; die_with_parent()\\n" if sys.argv[2] == "1" else "")
    + f"Path({str(tmp / 'child.pid')!r}).write_text(str(os.getpid())); time.sleep(120)"
)
request = ChildRequest(images_dir=tmp, image_names=("a.jpg",), work_dir=tmp / "attempt", params=SfmParams())
run_child(request, 300, lambda p: None, command=[sys.executable, "-c", child])
"""


def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting for its reaper counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _orphan_after_worker_killed(tmp_path: Path, guarded: bool) -> int:
    """Start a worker whose child writes its pid and sleeps, SIGKILL the worker, return the child's pid."""
    worker = subprocess.Popen([sys.executable, "-c", WORKER, str(tmp_path), "1" if guarded else "0"])
    pid_file = tmp_path / "child.pid"
    deadline = time.monotonic() + 60
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline and worker.poll() is None, "the child never started"
        time.sleep(0.1)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    return int(pid_file.read_text())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_child_ends_when_its_worker_is_killed(tmp_path: Path) -> None:
    """A worker SIGKILLed mid-attempt takes its child with it; without the guard the child would run on."""
    (tmp_path / "control").mkdir()
    unguarded = _orphan_after_worker_killed(tmp_path / "control", guarded=False)
    try:
        time.sleep(1.0)
        assert _alive(unguarded), "control: an unguarded child should outlive its worker"
    finally:
        os.kill(unguarded, signal.SIGKILL)
    guarded = _orphan_after_worker_killed(tmp_path, guarded=True)
    deadline = time.monotonic() + 10
    while _alive(guarded) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = _alive(guarded)
    if alive:
        os.kill(guarded, signal.SIGKILL)
    assert not alive, "the guarded child outlived its worker"
