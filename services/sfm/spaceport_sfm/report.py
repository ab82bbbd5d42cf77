"""What one SfM job found out: typed models written as `report.json` and read back by tests and tools."""

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from spaceport.criteria import CriterionResult
from spaceport.events import SfmMetrics, SfmRejectReason
from spaceport.params import SfmParams

SkipReason = Literal[
    "not_an_image",
    "corrupt",
    "unsupported_format",
    "too_small",
    "too_large",
    "duplicate",
    "video_ignored",
    "bad_mask",
    "fully_masked",
]
ImageOutcome = Literal["registered", "other_model", "not_registered", "no_matches", "no_features"]
Exposure = Literal["ok", "dark", "bright"]
InputKind = Literal["photos", "video"]


class Record(BaseModel):
    """Base of report records: frozen, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class SkippedFile(Record):
    """An input file that SfM did not use, and why."""

    name: str
    reason: SkipReason
    detail: str = ""


class ImageQuality(Record):
    """Cheap per-image measures, computed on a grey copy at most 1024 px on its longest side."""

    sharpness: float = Field(ge=0, description="variance of the Laplacian; low means blurred")
    brightness: float = Field(ge=0, le=1, description="mean grey level")
    dark_fraction: float = Field(ge=0, le=1, description="share of pixels below 10/255")
    bright_fraction: float = Field(ge=0, le=1, description="share of pixels above 245/255")


class AcceptedImage(Record):
    """An image that passed validation, under the name SfM knows it by."""

    name: str
    width: int
    height: int
    quality: ImageQuality
    rewritten: bool = Field(default=False, description="stored upright (EXIF orientation applied)")


class VideoReport(Record):
    """How frames were taken from a video."""

    source: str
    frames_total: int
    fps: float
    duration_s: float
    frames_kept: int
    frames_dropped_blurry: int
    sharpness_threshold: float


class ImageDiagnostic(Record):
    """One image's fate in the reconstruction, with the numbers that explain it."""

    name: str
    outcome: ImageOutcome
    explanation: str
    sharpness: float
    blurry: bool
    exposure: Exposure
    keypoints: int = 0
    matched_images: int = Field(default=0, description="images it shares verified matches with")
    best_match: str | None = None
    best_match_inliers: int = 0
    next_overlap_inliers: int | None = Field(default=None, description="verified matches with the next image")
    component: int | None = Field(default=None, description="match-graph component, 0 = the largest")
    model: int | None = Field(default=None, description="reconstructed model, 0 = the largest")


class Component(Record):
    """A connected group of images in the match graph."""

    index: int
    size: int
    images: tuple[str, ...]


class ModelSummary(Record):
    """Statistics of one reconstructed model (COLMAP's own figures)."""

    index: int
    registered: int
    points3d: int
    observations: int
    mean_track_length: float
    mean_reprojection_error_px: float
    camera_model: str
    camera_params: tuple[float, ...]
    image_names: tuple[str, ...]


class PrincipalPointCheck(Record):
    """The principal-point refinement: applied, or reverted when it wandered off."""

    applied: bool
    shift_px: float
    limit_px: float
    reprojection_error_before_px: float
    reprojection_error_after_px: float
    note: str = ""


class AttemptReport(Record):
    """One pass of extraction, matching and mapping with one set of parameters."""

    number: int
    params: SfmParams
    pairing: str
    device: str
    guided_matching: bool
    matched_pairs: int = Field(default=0, description="image pairs the matcher compared, verified or not")
    step_seconds: dict[str, float]
    step_cpu_seconds: dict[str, float] = Field(default_factory=dict)
    step_peak_rss_bytes: dict[str, int] = Field(
        default_factory=dict, description="the pycolmap child's peak RSS (lifetime high-water mark) after each step"
    )
    peak_rss_bytes: int = Field(default=0, description="the pycolmap child's peak RSS")
    models: tuple[ModelSummary, ...]
    principal_point: PrincipalPointCheck | None = None
    gate: tuple[CriterionResult, ...]
    passed: bool
    reason: SfmRejectReason | None = None
    log_path: Path | None = Field(default=None, description="COLMAP's own log of this attempt")


class SfmReport(Record):
    """The outcome of `reconstruct`: passed or rejected, why, and what the user can do about it."""

    passed: bool
    reason: SfmRejectReason | None = None
    message: str
    hints: tuple[str, ...] = ()
    metrics: SfmMetrics
    gate: tuple[CriterionResult, ...] = ()
    attempts: tuple[AttemptReport, ...] = ()
    images: tuple[ImageDiagnostic, ...] = ()
    skipped: tuple[SkippedFile, ...] = ()
    components: tuple[Component, ...] = ()
    input_kind: InputKind = "photos"
    video: VideoReport | None = None
    images_dir: Path = Field(description="the folder whose files the model's image names refer to")
    images_changed: bool = Field(default=False, description="images_dir holds frames or rewritten images")
    sparse_dir: Path | None = Field(default=None, description="the COLMAP binary model that passed the gate")
    log_path: Path | None = None

    def to_json(self) -> str:
        """The report as indented JSON."""
        return self.model_dump_json(indent=1)
