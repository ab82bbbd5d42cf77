"""The pycolmap child ends with the worker that started it, however the worker dies.

The child runs in its own session (so a timeout or cancel can kill its whole group), which also means a worker
killed outright (SIGKILL, OOM killer, a supervisor's stop) would leave it mapping, unsupervised, for up to an hour.
On Linux the kernel can signal the child when its parent thread exits: the runner's supervising thread lives
exactly as long as the child is wanted. Elsewhere nothing changes.
"""

import ctypes
import os
import signal

import structlog

log = structlog.get_logger(__name__)

PARENT_ENV = "SPACEPORT_SFM_PARENT"
"""The runner sets this to its process id; the child checks it is still its parent once the signal is armed."""
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask the kernel for SIGKILL when the parent thread exits; exit at once if the parent is already gone."""
    expected = os.environ.get(PARENT_ENV)
    if expected is None:
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            log.warning("parent_watch_unavailable", errno=ctypes.get_errno())
            return
    except (OSError, AttributeError):  # not Linux
        return
    if os.getppid() != int(expected):  # the worker died before the signal was armed
        os._exit(1)
