"""The event types of the pipeline: one frozen model each, routed by `type`."""

from typing import Literal

from pydantic import Field

from spaceport.events.envelope import Envelope, Payload, Stage
from spaceport.events.metrics import CompressMetrics, Severity, SfmMetrics, SkippedInput, TrainMetrics
from spaceport.params import JobOptions

SfmRejectReason = Literal[
    "no_images",
    "too_few_images",
    "images_too_small",
    "no_reconstruction",
    "too_few_registered",
    "too_few_points",
    "fragmented_model",
    "high_reprojection_error",
    "disconnected_scenes",
]


class ImagesReadyData(Payload):
    """Where the photos (or the video) of a job are, and how to process them."""

    images_uri: str = Field(min_length=1)
    image_count: int = Field(ge=0)
    input_kind: Literal["photos", "video"] = "photos"
    options: JobOptions = JobOptions()


class SfmCompletedData(Payload):
    """A sparse model that passed the quality gate."""

    sparse_uri: str
    images_uri: str
    report_uri: str
    metrics: SfmMetrics
    options: JobOptions
    hints: tuple[str, ...] = ()
    """What the user can do better (photos in separate groups, blurry photos...), as for a rejection."""
    skipped: tuple[SkippedInput, ...] = ()


class SfmRejectedData(Payload):
    """A reconstruction that failed the quality gate, with what the user can do about it."""

    reason: SfmRejectReason
    message: str
    metrics: SfmMetrics | None = None
    hints: tuple[str, ...] = ()
    report_uri: str | None = None
    skipped: tuple[SkippedInput, ...] = ()


class ModelTrainedData(Payload):
    """A trained 3DGS model, and where its inputs were."""

    ply_uri: str
    sparse_uri: str
    images_uri: str
    report_uri: str
    previews_uri: str | None = None
    metrics: TrainMetrics
    options: JobOptions


class ExportedFile(Payload):
    """One extra web format written beside the SOG (`format` is a file extension: spz, glb...)."""

    format: str = Field(min_length=1, max_length=16)
    uri: str
    bytes: int = Field(ge=0)


class CompressedData(Payload):
    """The SOG outputs of a job, and any extra formats asked for (`compressor.formats`)."""

    sog_uri: str | None
    meta_uri: str
    webp_uris: tuple[str, ...]
    report_uri: str
    metrics: CompressMetrics
    exports: tuple[ExportedFile, ...] = ()
    lod_uri: str | None = None
    """The streamed SOG's `lod-meta.json` (levels of detail in chunks), for models of
    `compressor.lod_threshold` splats or more; None below it."""


class StageFailedData(Payload):
    """A stage gave up on a job."""

    stage: Stage
    reason: str = Field(min_length=1, max_length=64)
    message: str
    retryable: bool = False
    attempts: int = Field(default=1, ge=1)


class StageProgressData(Payload):
    """How far a stage is with a job."""

    stage: Stage
    fraction: float = Field(ge=0, le=1)
    eta_seconds: float | None = Field(default=None, ge=0)
    step: str = ""
    message: str = ""
    figures: dict[str, float] = Field(default_factory=dict)
    attempt: int = Field(default=1, ge=1, description="which delivery of the job's event this stage is on")


class AlertData(Payload):
    """A success criterion breached, or an operational problem seen."""

    criterion: str
    severity: Severity
    message: str
    observed: float | str | None = None
    expected: str = ""
    stage: Stage | None = None


class ImagesReady(Envelope):
    """Photos were uploaded: start a job."""

    type: Literal["images.ready"] = "images.ready"
    data: ImagesReadyData


class SfmCompleted(Envelope):
    """SfM produced a sparse model that passed the gate."""

    type: Literal["sfm.completed"] = "sfm.completed"
    data: SfmCompletedData


class SfmRejected(Envelope):
    """SfM rejected the photos; the job ends here."""

    type: Literal["sfm.rejected"] = "sfm.rejected"
    data: SfmRejectedData


class ModelTrained(Envelope):
    """The trainer produced a `.ply`."""

    type: Literal["model.trained"] = "model.trained"
    data: ModelTrainedData


class Compressed(Envelope):
    """The compressor produced the SOG outputs; the job succeeded."""

    type: Literal["model.compressed"] = "model.compressed"
    data: CompressedData


class StageFailed(Envelope):
    """A stage failed a job; the job ends here."""

    type: Literal["stage.failed"] = "stage.failed"
    data: StageFailedData


class StageProgress(Envelope):
    """Progress of a stage on a job."""

    type: Literal["stage.progress"] = "stage.progress"
    data: StageProgressData


class Alert(Envelope):
    """The monitor saw a criterion breached."""

    type: Literal["monitor.alert"] = "monitor.alert"
    data: AlertData
