"""What a handler gets besides its event: storage, a scratch folder, progress, cancellation."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from spaceport.events import Envelope, Stage, StageProgressData
from spaceport.runtime.errors import Interrupted
from spaceport.settings import Settings
from spaceport.storage import ObjectStore, job_prefix

ProgressSink = Callable[[StageProgressData], None]


@dataclass
class StageContext:
    """Per-message context. Safe to use from the handler's worker thread."""

    stage: Stage
    event: Envelope
    store: ObjectStore
    work_dir: Path
    settings: Settings
    attempt: int = 1
    cancel: threading.Event = field(default_factory=threading.Event)
    progress_sink: ProgressSink | None = None
    min_progress_interval_s: float = 1.0
    _last_progress: float = 0.0

    @property
    def job_id(self) -> str:
        """The job this message belongs to."""
        return self.event.job_id

    def prefix(self, folder: str | None = None) -> str:
        """The key prefix of this job's artifacts in `folder` (default: this stage's)."""
        return job_prefix(self.job_id, folder or self.stage)

    def progress(
        self,
        fraction: float,
        step: str = "",
        message: str = "",
        eta_seconds: float | None = None,
        figures: dict[str, float] | None = None,
    ) -> None:
        """Report progress; calls closer than `min_progress_interval_s` are dropped (except the last)."""
        now = time.monotonic()
        if self.progress_sink is None:
            return
        if fraction < 1.0 and now - self._last_progress < self.min_progress_interval_s:
            return
        self._last_progress = now
        data = StageProgressData(
            stage=self.stage,
            fraction=min(max(fraction, 0.0), 1.0),
            eta_seconds=max(eta_seconds, 0.0) if eta_seconds is not None else None,
            step=step,
            message=message,
            figures=figures or {},
            attempt=self.attempt,
        )
        self.progress_sink(data)

    def check_cancelled(self) -> None:
        """Raise `Interrupted` if the worker was asked to stop."""
        if self.cancel.is_set():
            raise Interrupted("worker is shutting down")
