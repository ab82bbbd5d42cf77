"""Peak memory while a job runs: host RSS of this process and its children, and GPU memory where there is one.

A thread samples every `interval_s`; `peak(since, until)` gives the largest sample in a time window, so each
stage of one embedded job gets its own peak. Host RSS is the sum over this process and its descendants (SfM's
pycolmap child), read from /proc (Linux). GPU memory is the device's used memory from `nvidia-smi` (the whole
card, so run nothing else on it), or none where there is no `nvidia-smi`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Sample:
    """One reading: monotonic time, host RSS and GPU memory in bytes (None without a GPU)."""

    at: float
    host: int
    gpu: int | None


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def tree_rss(root: int) -> int:
    """Resident bytes of process `root` and all its descendants."""
    tree, total, todo = _children(), 0, [root]
    while todo:
        pid = todo.pop()
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
        todo.extend(tree.get(pid, []))
    return total


def gpu_used() -> int | None:
    """Bytes used on GPU 0 as nvidia-smi reports them, or None without nvidia-smi."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    out = subprocess.run(
        [exe, "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", "0"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return int(out.stdout.strip().splitlines()[0]) * 1024 * 1024
    except (IndexError, ValueError):
        return None


@dataclass
class MemorySampler:
    """Samples in a background thread between `start()` and `stop()`."""

    interval_s: float = 0.5
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin sampling."""
        self._thread = threading.Thread(target=self._loop, name="memory-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Take a last sample and stop."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _loop(self) -> None:
        pid = os.getpid()
        while True:
            self.samples.append(Sample(time.monotonic(), tree_rss(pid), gpu_used()))
            if self._stop.wait(self.interval_s):
                return

    def peak(self, since: float, until: float) -> tuple[int, int | None]:
        """The largest host RSS and GPU memory sampled in [since, until] (bytes)."""
        window = [s for s in self.samples if since <= s.at <= until] or self.samples[-1:]
        gpu = [s.gpu for s in window if s.gpu is not None]
        return max((s.host for s in window), default=0), max(gpu) if gpu else None
