"""Failures of the SfM core that are not a verdict on the photos: the handler turns them into StageFailed."""

from pathlib import Path
from typing import Literal

FailureReason = Literal["unsafe_input", "unreadable_video", "sfm_crashed", "sfm_timeout", "sfm_error", "cancelled"]


class SfmError(Exception):
    """SfM could not run to a verdict. `reason` is a short code; `log_path` is COLMAP's log, if any."""

    def __init__(self, reason: FailureReason, message: str, log_path: Path | None = None) -> None:
        super().__init__(message)
        self.reason: FailureReason = reason
        self.message = message
        self.log_path = log_path


class SfmCancelled(SfmError):
    """The caller asked SfM to stop; the child process was killed."""

    def __init__(self, message: str = "cancelled by the caller", log_path: Path | None = None) -> None:
        super().__init__("cancelled", message, log_path)
