"""The per-job record the monitor keeps: a stage timeline, metrics, artifacts, criteria and outcome."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from spaceport.criteria import CriterionResult
from spaceport.events import CompressMetrics, SfmMetrics, SfmRejectReason, SkippedInput, TrainMetrics
from spaceport.events.metrics import Severity
from spaceport.params import JobOptions

JobOutcome = Literal["running", "succeeded", "rejected", "failed"]
StageStatus = Literal["pending", "running", "done", "rejected", "failed"]
PipelineStage = Literal["sfm", "trainer", "compressor"]
PIPELINE_STAGES: tuple[PipelineStage, ...] = ("sfm", "trainer", "compressor")
TERMINAL: frozenset[str] = frozenset({"succeeded", "rejected", "failed"})


class Progress(BaseModel):
    """The latest progress report of a stage."""

    fraction: float
    step: str = ""
    message: str = ""
    eta_seconds: float | None = None
    figures: dict[str, float] = Field(default_factory=dict)
    at: datetime


class StageRecord(BaseModel):
    """One stage of one job on the timeline."""

    stage: PipelineStage
    status: StageStatus = "pending"
    started_at: datetime | None = None
    ended_at: datetime | None = None
    attempts: int = 0
    progress: Progress | None = None

    @property
    def duration_s(self) -> float | None:
        """Seconds from the hand-over of its input to its result, when both are known."""
        if self.started_at is None or self.ended_at is None:
            return None
        return max((self.ended_at - self.started_at).total_seconds(), 0.0)


class Failure(BaseModel):
    """Why a job ended without a result."""

    stage: str
    reason: str
    message: str
    retryable: bool = False
    attempts: int = 1
    hints: tuple[str, ...] = ()


class AlertNote(BaseModel):
    """An alert about this job, as seen on the bus."""

    alert_id: str
    criterion: str
    severity: Severity
    message: str
    observed: float | str | None = None
    expected: str = ""
    at: datetime


class Artifact(BaseModel):
    """One output of a stage: a name and the storage URI it lives at (never shown raw to users)."""

    stage: PipelineStage
    name: str
    uri: str


class StageMemory(BaseModel):
    """A stage's peak memory, as it reported it (0: not reported, e.g. by an older worker)."""

    peak_rss_bytes: int = 0
    peak_gpu_bytes: int | None = None  # None: no GPU used


class JobRecord(BaseModel):
    """Everything the monitor knows about one job: a fold of its events, in event-time order."""

    job_id: str
    outcome: JobOutcome = "running"
    submitted_at: datetime | None = None
    first_event_at: datetime | None = None
    last_event_at: datetime | None = None
    ended_at: datetime | None = None
    image_count: int | None = None
    input_kind: str | None = None
    options: JobOptions | None = None
    stages: dict[PipelineStage, StageRecord] = Field(
        default_factory=lambda: {s: StageRecord(stage=s) for s in PIPELINE_STAGES}
    )
    sfm: SfmMetrics | None = None
    training: TrainMetrics | None = None
    compression: CompressMetrics | None = None
    rejection_reason: SfmRejectReason | None = None
    hints: tuple[str, ...] = ()
    """What SfM advises about the photos (separate groups, blurry or dark photos), rejected or not."""
    skipped: tuple[SkippedInput, ...] = ()
    """Uploaded files SfM did not use, with the reason."""
    failure: Failure | None = None
    artifacts: list[Artifact] = Field(default_factory=list)
    criteria: dict[str, CriterionResult] = Field(default_factory=dict)
    alerts: list[AlertNote] = Field(default_factory=list)
    event_count: int = 0
    last_key: tuple[str, int, str] | None = None
    """Sort key of the latest event folded in: an older one forces a fold from scratch."""

    @property
    def terminal(self) -> bool:
        """Whether the job has ended (succeeded, rejected or failed)."""
        return self.outcome in TERMINAL

    @property
    def current_stage(self) -> PipelineStage | None:
        """The stage the job waits on: the first that has not ended (None once the job ended)."""
        if self.terminal:
            return None
        for stage in PIPELINE_STAGES:
            if self.stages[stage].ended_at is None:
                return stage
        return "compressor"

    @property
    def duration_s(self) -> float | None:
        """Seconds from submission (or the first event) to the end, once ended."""
        start = self.submitted_at or self.first_event_at
        if start is None or self.ended_at is None:
            return None
        return max((self.ended_at - start).total_seconds(), 0.0)

    @property
    def failed_criteria(self) -> list[CriterionResult]:
        """Criteria with an outcome of `fail`."""
        return [c for c in self.criteria.values() if c.outcome == "fail"]

    def stage_memory(self) -> dict[PipelineStage, StageMemory]:
        """Each finished stage's peak host (RSS) and GPU memory."""
        found: dict[PipelineStage, StageMemory] = {}
        if self.sfm is not None:
            found["sfm"] = StageMemory(peak_rss_bytes=self.sfm.peak_rss_bytes)
        if self.training is not None:
            t = self.training
            gpu = t.peak_memory_bytes if t.device != "cpu" else None
            found["trainer"] = StageMemory(peak_rss_bytes=t.peak_rss_bytes, peak_gpu_bytes=gpu)
        if self.compression is not None:
            c = self.compression
            found["compressor"] = StageMemory(peak_rss_bytes=c.peak_memory_bytes, peak_gpu_bytes=c.peak_gpu_bytes)
        return found

    def artifact(self, name: str) -> Artifact | None:
        """The artifact of that name, if reported."""
        return next((a for a in self.artifacts if a.name == name), None)
