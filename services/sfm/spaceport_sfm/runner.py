"""Run one pycolmap attempt in a child process with a time limit: a crash or hang becomes an SfmError."""

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

import structlog
from pydantic import ValidationError

from spaceport_sfm.errors import SfmCancelled, SfmError
from spaceport_sfm.parent_watch import PARENT_ENV
from spaceport_sfm.protocol import ChildFailure, ChildProgress, ChildRequest, ChildResult, ChildStep

log = structlog.get_logger(__name__)

CHILD_COMMAND: tuple[str, ...] = (sys.executable, "-m", "spaceport_sfm.child")
POLL_S = 0.5
LOG_COUNTER = re.compile(rb"\[(\d+)/(\d+)")
"""COLMAP's progress lines: `Processed file [3/50]`, `Processing block [2/4, 1/4]`."""
LOG_TAIL_LINES = 15


def run_child(
    request: ChildRequest,
    timeout_s: float,
    on_progress: Callable[[ChildProgress], None],
    cancelled: Callable[[], bool] = lambda: False,
    command: Sequence[str] = CHILD_COMMAND,
) -> ChildResult:
    """Run one attempt in a child; its COLMAP log is `work_dir/colmap.log`."""
    work = request.work_dir
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    request_path, result_path, log_path = work / "request.json", work / "result.json", work / "colmap.log"
    request_path.write_text(request.model_dump_json(indent=1))
    result_path.unlink(missing_ok=True)
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(
            [*command, str(request_path), str(result_path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log_file,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", PARENT_ENV: str(os.getpid())},
        )
    lines: queue.Queue[ChildProgress] = queue.Queue()
    reader = threading.Thread(target=_read_progress, args=(process.stdout, lines), daemon=True)
    reader.start()
    log.info("sfm_child_started", pid=process.pid, images=len(request.image_names), timeout_s=timeout_s)
    try:
        relay = _Relay(lines, log_path, on_progress)
        _supervise(process, time.monotonic() + timeout_s, timeout_s, cancelled, relay)
    finally:
        if process.poll() is None:
            _kill(process)
        reader.join(timeout=5)
    return _result(process.returncode, result_path, log_path)


class _Relay:
    """Forwards the child's step messages and COLMAP's `[i/N]` counters to the caller, from one thread."""

    def __init__(
        self, lines: "queue.Queue[ChildProgress]", log_path: Path, sink: Callable[[ChildProgress], None]
    ) -> None:
        self.lines, self.log_path, self.sink = lines, log_path, sink
        self.step: ChildStep | None = None
        self.offset = 0

    def pump(self) -> None:
        while not self.lines.empty():
            progress = self.lines.get_nowait()
            self.step = progress.step
            self.sink(progress)
        counter = self._latest_counter()
        if counter is not None and self.step in ("extraction", "matching"):
            done, total = counter
            fraction = min(done / total, 1.0)
            self.sink(ChildProgress(step=self.step, fraction=fraction, message=f"{done}/{total}"))

    def _latest_counter(self) -> tuple[int, int] | None:
        with self.log_path.open("rb") as handle:
            handle.seek(self.offset)
            chunk = handle.read()
        self.offset += len(chunk)
        matches = LOG_COUNTER.findall(chunk)
        if not matches or int(matches[-1][1]) == 0:
            return None
        return int(matches[-1][0]), int(matches[-1][1])


def _supervise(
    process: subprocess.Popen[bytes], deadline: float, timeout_s: float, cancelled: Callable[[], bool], relay: _Relay
) -> None:
    while True:
        try:
            process.wait(timeout=POLL_S)
            relay.pump()
            return
        except subprocess.TimeoutExpired:
            relay.pump()
        if cancelled():
            _kill(process)
            raise SfmCancelled(log_path=relay.log_path)
        if time.monotonic() > deadline:
            _kill(process)
            raise SfmError(
                "sfm_timeout", f"pycolmap did not finish within {timeout_s:.0f} s and was stopped", relay.log_path
            )


def _read_progress(stream: IO[bytes] | None, lines: "queue.Queue[ChildProgress]") -> None:
    if stream is None:
        return
    for raw in stream:
        try:
            lines.put(ChildProgress.model_validate_json(raw))
        except ValidationError:
            log.debug("sfm_child_stdout", line=raw[:200])


def _kill(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _result(returncode: int, result_path: Path, log_path: Path) -> ChildResult:
    if returncode == 0 and result_path.exists():
        return ChildResult.model_validate_json(result_path.read_text())
    tail = log_tail(log_path)
    if returncode < 0:
        name = signal.Signals(-returncode).name
        cause = " (most likely out of memory)" if name == "SIGKILL" else ""
        raise SfmError("sfm_crashed", f"pycolmap died with {name}{cause}; log ends: {tail}", log_path)
    if result_path.exists():
        failure = ChildFailure.model_validate_json(result_path.read_text())
        raise SfmError("sfm_error", f"pycolmap failed: {failure.error}: {failure.message}", log_path)
    raise SfmError("sfm_crashed", f"pycolmap exited with code {returncode}; log ends: {tail}", log_path)


def log_tail(log_path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of a log file, joined for a one-line message."""
    if not log_path.exists():
        return ""
    text = log_path.read_bytes()[-8192:].decode(errors="replace")
    return " | ".join(line.strip() for line in text.splitlines()[-lines:] if line.strip())
