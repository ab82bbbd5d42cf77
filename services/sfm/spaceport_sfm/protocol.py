"""The typed request and result exchanged with the pycolmap child process (as JSON files)."""

from pathlib import Path
from typing import Literal

from pydantic import Field

from spaceport.params import SfmParams
from spaceport_sfm.report import InputKind, ModelSummary, PrincipalPointCheck, Record

ChildStep = Literal["extraction", "matching", "mapping", "statistics"]


class ChildRequest(Record):
    """One attempt: which images, where to work, with which parameters."""

    images_dir: Path
    image_names: tuple[str, ...]
    work_dir: Path
    params: SfmParams
    threads: int = Field(default=-1, description="-1: all cores")
    input_kind: InputKind = "photos"
    masks_dir: Path | None = Field(default=None, description="COLMAP's mask_path: <name>.png, 0 = ignore")


class ImageStats(Record):
    """What the database knows of one image."""

    name: str
    keypoints: int


class PairStats(Record):
    """One geometrically verified image pair."""

    first: str
    second: str
    inliers: int


class ChildProgress(Record):
    """One line the child writes to stdout while it works."""

    step: ChildStep
    fraction: float = Field(ge=0, le=1, description="within the step")
    message: str = ""


class ChildResult(Record):
    """What the attempt produced; models sorted largest first, the largest written to `sparse_dir`."""

    step_seconds: dict[str, float]
    step_cpu_seconds: dict[str, float] = Field(default_factory=dict)
    step_peak_rss_bytes: dict[str, int] = Field(
        default_factory=dict, description="the child's peak RSS after each step"
    )
    peak_rss_bytes: int = 0
    pairing: str
    device: str
    guided_matching: bool
    images: tuple[ImageStats, ...]
    pairs: tuple[PairStats, ...]
    matched_pairs: int = Field(default=0, description="image pairs the matcher compared, verified or not")
    models: tuple[ModelSummary, ...]
    principal_point: PrincipalPointCheck | None = None
    sparse_dir: Path | None = None


class ChildFailure(Record):
    """A Python-level error inside the child (native crashes leave no file at all)."""

    error: str
    message: str
