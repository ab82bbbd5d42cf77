"""What one training run produced and cost: written as JSON beside the model, summarised in ModelTrained."""

from pydantic import BaseModel, ConfigDict, Field

from spaceport.events import TrainMetrics
from spaceport.params.trainer import TrainParams
from spaceport_splats.consistency import ViewCamera


class ViewScoreRecord(BaseModel):
    """One held-out view."""

    model_config = ConfigDict(frozen=True)

    name: str
    psnr: float
    ssim: float
    psnr_colour_fit: float | None = None


class EvaluationRecord(BaseModel):
    """Held-out scores at one step."""

    model_config = ConfigDict(frozen=True)

    step: int
    psnr: float | None
    ssim: float | None
    gaussians: int
    ms_per_image: float
    train_seconds: float | None = None
    """Training time spent up to this step (evaluations and checkpoints not counted): time to this quality."""
    views: list[ViewScoreRecord] = Field(default_factory=list)
    psnr_colour_fit: float | None = None
    """Mean PSNR after a closed-form affine colour fit per held-out view (`spaceport_splats.colour_fit`)."""


class PhotoCacheRecord(BaseModel):
    """Where the training photos were held (`spaceport_splats.photo_cache`) and how often they were fetched."""

    model_config = ConfigDict(frozen=True)

    device_budget_bytes: int
    host_budget_bytes: int
    photos: dict[str, int]  # tier (device, host, disk) -> photos
    bytes: dict[str, int]  # tier -> bytes
    hits: int
    fetches: int
    waits: int


class TrainReport(BaseModel):
    """The record of one training run."""

    model_config = ConfigDict(frozen=True)

    params: TrainParams
    device: str
    steps: int
    steps_requested: int
    resumed_from_step: int | None = None
    initial_gaussians: int
    gaussians: int
    dropped_nonfinite: int = 0
    train_views: int
    heldout_views: int
    image_size: tuple[int, int]  # (width, height) of the first training view
    camera_models: list[str]
    lens_handling: str
    renderer: str
    appearance: str = "off"
    """Per-photo colour transforms learned in the loss: "affine" or "off" (what `params.appearance` resolved to)."""
    appearance_spread: float | None = None
    """RMS offset of the learned transforms from the identity (0 = the photos agreed on colour)."""
    evaluations: list[EvaluationRecord]
    loss_log: list[tuple[int, float]] = Field(default_factory=list)
    train_seconds: float
    eval_seconds: float
    checkpoint_seconds: float
    load_seconds: float
    seconds: float
    peak_memory_bytes: int
    """Peak GPU memory allocated by torch (0 on CPU)."""
    peak_rss_bytes: int = 0
    """Peak resident host memory of the process while training (photos, model, loading included)."""
    photo_cache: PhotoCacheRecord | None = None
    model_path: str
    model_bytes: int
    previews: list[str] = Field(default_factory=list)
    heldout_cameras: list[ViewCamera] = Field(default_factory=list)
    """The held-out views' cameras as training built them: a later scorer must use exactly these."""

    @property
    def final(self) -> EvaluationRecord | None:
        """The last held-out evaluation."""
        return self.evaluations[-1] if self.evaluations else None

    def metrics(self) -> TrainMetrics:
        """The figures carried in ModelTrained."""
        final = self.final
        return TrainMetrics(
            steps=self.steps,
            steps_requested=self.steps_requested,
            gaussians=self.gaussians,
            initial_gaussians=self.initial_gaussians,
            max_gaussians=self.params.max_gaussians,
            psnr=final.psnr if final else None,
            ssim=final.ssim if final else None,
            psnr_colour_fit=final.psnr_colour_fit if final else None,
            appearance=self.appearance,
            heldout_views=self.heldout_views,
            train_seconds=self.train_seconds,
            seconds=self.seconds,
            peak_memory_bytes=self.peak_memory_bytes,
            peak_rss_bytes=self.peak_rss_bytes,
            model_bytes=self.model_bytes,
            device=self.device,
            preset=self.params.preset,
            resumed_from_step=self.resumed_from_step,
            undistorted=self.lens_handling == "undistorted",
        )
