"""Figures the stages report: carried in events, checked by the success criteria."""

from typing import Literal

from pydantic import Field

from spaceport.events.envelope import Payload


class SkippedInput(Payload):
    """An uploaded file SfM did not use, and why (not an image, truncated, too large, a duplicate...)."""

    name: str
    reason: str
    detail: str = ""


class SfmMetrics(Payload):
    """What one reconstruction achieved, and what each step cost."""

    images_total: int = Field(ge=0)
    images_registered: int = Field(ge=0, description="registered in the model passed downstream (the largest)")
    points3d: int = Field(ge=0)
    mean_track_length: float = Field(default=0.0, ge=0)
    mean_reprojection_error_px: float = Field(default=0.0, ge=0)
    num_models: int = Field(default=0, ge=0)
    images_in_other_models: int = Field(
        default=0, ge=0, description="photos registered in a secondary model and not in the largest"
    )
    images_in_other_groups: int = Field(
        default=0, ge=0, description="photos matched among themselves (3 or more) but not with the model's photos"
    )
    camera_model: str = ""
    profile: str = ""
    attempts: int = Field(default=1, ge=1)
    step_seconds: dict[str, float] = Field(default_factory=dict)
    seconds: float = Field(default=0.0, ge=0)
    peak_rss_bytes: int = Field(
        default=0, ge=0, description="peak resident host memory of the stage and its COLMAP child; absent from older"
    )

    @property
    def registered_fraction(self) -> float:
        """Registered images over input images (0 when there were none)."""
        return self.images_registered / self.images_total if self.images_total else 0.0


class TrainMetrics(Payload):
    """What one training run achieved and cost."""

    steps: int = Field(ge=0)
    steps_requested: int = Field(ge=0)
    gaussians: int = Field(ge=0)
    initial_gaussians: int = Field(ge=0)
    max_gaussians: int = Field(default=0, ge=0)
    psnr: float | None = None
    ssim: float | None = None
    psnr_colour_fit: float | None = Field(
        default=None,
        description="held-out PSNR after fitting each view's exposure and white balance (affine colour fit, "
        "least squares from render to photo); absent from trainers before it",
    )
    appearance: str = Field(default="", description="per-photo appearance compensation in training: affine, off")
    heldout_views: int = Field(default=0, ge=0)
    train_seconds: float = Field(default=0.0, ge=0)
    seconds: float = Field(default=0.0, ge=0)
    peak_memory_bytes: int = Field(default=0, ge=0, description="peak GPU memory allocated (0 on CPU)")
    peak_rss_bytes: int = Field(default=0, ge=0, description="peak resident host memory; absent from older trainers")
    model_bytes: int = Field(default=0, ge=0)
    device: str = "cpu"
    preset: str = ""
    resumed_from_step: int | None = None
    undistorted: bool = Field(default=False, description="trained and scored on COLMAP-undistorted photos")


class Fidelity(Payload):
    """Round-trip error of the compressed model against the trained one."""

    position_rel_mean: float = Field(ge=0)
    position_rel_max: float = Field(ge=0)
    rotation_deg_mean: float = Field(ge=0)
    rotation_deg_max: float = Field(ge=0)
    log_scale_mean: float = Field(ge=0)
    log_scale_max: float = Field(ge=0)
    color_mean: float = Field(ge=0)
    color_max: float = Field(ge=0)
    opacity_mean: float = Field(ge=0)
    opacity_max: float = Field(ge=0)
    sh_rel_rmse: float | None = None
    psnr_drop_db: float | None = None
    psnr_drop_unmeasured: str | None = None
    """Why the held-out PSNR drop was not measured (no scorer in this deployment, inputs unreadable...)."""


class CompressMetrics(Payload):
    """Sizes, ratio, cost and fidelity of one compression."""

    splats: int = Field(ge=0)
    dropped_splats: int = Field(default=0, ge=0)
    sh_bands: int = Field(default=0, ge=0, le=3)
    ply_bytes: int = Field(ge=0)
    sog_bytes: int = Field(ge=0)
    ratio: float = Field(ge=0)
    webp_files: int = Field(ge=0)
    seconds: float = Field(default=0.0, ge=0)
    peak_memory_bytes: int = Field(default=0, ge=0, description="peak resident host memory (RSS) while compressing")
    peak_gpu_bytes: int | None = Field(default=None, ge=0, description="peak GPU memory (SH palette), when on a GPU")
    fidelity: Fidelity | None = None


Severity = Literal["info", "warning", "critical"]
