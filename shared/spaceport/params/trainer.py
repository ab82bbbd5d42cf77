"""Trainer job parameters and their presets (preview / standard / quality).

Everything that shapes one training run is here, carried in the job's event and recorded beside the
trained model. Presets are fully resolved parameter sets; any field can be overridden on top.
"""

from typing import Literal

from pydantic import Field

from spaceport.params.base import Params

TrainPreset = Literal["preview", "standard", "quality"]
Strategy = Literal["mcmc"]
DeviceChoice = Literal["auto", "cpu", "cuda"]
CameraHandling = Literal["auto", "undistort", "original"]
AppearanceMode = Literal["auto", "off", "affine"]


class LearningRates(Params):
    """Adam learning rates per parameter group (gsplat/Inria defaults)."""

    means: float = Field(default=1.6e-4, gt=0, description="times the scene scale; decays exponentially")
    means_final_factor: float = Field(default=0.01, gt=0, le=1, description="means LR at the last step / at 0")
    scales: float = Field(default=5e-3, gt=0, description="log-scales")
    quats: float = Field(default=1e-3, gt=0)
    opacities: float = Field(default=5e-2, gt=0, description="logit opacities")
    sh0: float = Field(default=2.5e-3, gt=0)
    shn: float = Field(default=2.5e-3 / 20, gt=0, description="higher SH bands")


class DensifyParams(Params):
    """MCMC densification (3DGS as Markov Chain Monte Carlo): relocate dead splats, grow to a hard cap."""

    refine_start: int = Field(default=500, ge=0, description="first step that relocates/grows")
    refine_stop_fraction: float = Field(default=0.6, ge=0, le=1, description="stop refining after this share")
    refine_every: int = Field(default=50, ge=1)
    growth: float = Field(default=1.1, ge=1.0, description="grow the count by at least this factor per refine")
    target_share: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="grow faster where needed (up to `max_growth` per refine) to reach this share of the cap by "
        "the last refine, so few SfM points do not stall the count (0: `growth` only)",
    )
    max_growth: float = Field(default=2.0, ge=1.0, description="never grow more than this factor per refine")
    min_opacity: float = Field(default=0.005, gt=0, lt=1, description="splats below are dead and relocated")
    noise_lr: float = Field(default=5e5, ge=0, description="position noise, times the current means LR")


class PhotoCacheParams(Params):
    """Where the training photos are held (`spaceport_splats.photo_cache`): the device first, then host memory
    (pinned, on CUDA), then uint8 files on disk. Unset budgets come from the machine when training starts."""

    device_bytes: int | None = Field(
        default=None, ge=0, description="bytes of photos on the training device (on CPU: in RAM); unset: see shares"
    )
    host_bytes: int | None = Field(
        default=None, ge=0, description="bytes of photos in pinned host memory (CUDA only); unset: see shares"
    )
    device_share: float = Field(default=0.25, gt=0, le=1, description="unset on CUDA: this share of free GPU memory")
    device_cap_gib: float = Field(default=8.0, gt=0, description="...and at most this much")
    host_share: float = Field(
        default=0.5, gt=0, le=1, description="unset: this share of available RAM (on CPU the device tier's)"
    )
    host_cap_gib: float = Field(default=16.0, gt=0, description="...and at most this much")
    staging: int = Field(default=4, ge=2, description="device slots for photos fetched from host or disk")


class SceneBudgetParams(Params):
    """The splat cap and the steps follow the scene: `max_gaussians` and `steps` are the budget of a scene of up
    to `reference_photos` photos; above it both grow as (photos / reference_photos) ** `exponent`, the cap also to
    at least `points_factor` times the SfM points, each within its bound (never below the preset's value)."""

    enabled: bool = Field(default=True, description="false: train with `steps` and `max_gaussians` as given")
    reference_photos: int = Field(default=50, ge=1, description="photos up to which the preset's budget holds")
    exponent: float = Field(default=0.5, ge=0, le=1, description="growth of cap and steps with the photo count")
    points_factor: float = Field(default=4.0, ge=0, description="the cap is at least this many times the SfM points")
    max_gaussians_bound: int = Field(default=1_500_000, ge=1000, description="the cap never grows beyond this")
    steps_bound: int = Field(default=40_000, ge=1, description="the steps never grow beyond this")


class TrainParams(Params):
    """Hyperparameters of one training run; `preset` names the preset it came from. The defaults are the
    `standard` preset's, so `TrainParams()` is `TrainParams.preset_named("standard")`."""

    preset: TrainPreset = "standard"
    steps: int = Field(default=10_000, ge=1, description="optimisation steps (grown for large scenes: `budget`)")
    # data
    data_factor: int = Field(default=2, ge=1, description="downscale photos by this factor")
    max_image_side: int | None = Field(default=None, ge=16, description="further downscale to this long side")
    test_every: int = Field(default=8, ge=2, description="every n-th image by name is held out")
    camera: CameraHandling = Field(
        default="auto",
        description="undistort: COLMAP-undistort the photos to pinhole first, train with the classic rasterizer "
        "(models render in web viewers as in training); original: train on the photos as they are (3DGUT on a "
        "GPU, a linearised lens on CPU); auto: undistort on a GPU unless a lens is fisheye, original on CPU",
    )
    # model
    sh_degree: int = Field(default=3, ge=0, le=3)
    sh_degree_interval: int = Field(default=500, ge=1, description="add one SH band every n steps")
    coarse_factor: int = Field(
        default=1, ge=1, le=8, description="early steps render and compare at 1/n of the resolution (1: never)"
    )
    coarse_fraction: float = Field(default=0.0, ge=0, le=1, description="share of the steps at `coarse_factor`")
    max_gaussians: int = Field(
        default=300_000, ge=1000, description="hard cap on the number of splats (grown for large scenes: `budget`)"
    )
    min_initial_points: int = Field(default=1000, ge=1, description="input gate: fewer SfM points -> refuse")
    init_opacity: float = Field(default=0.5, gt=0, lt=1)
    init_scale: float = Field(default=0.1, gt=0, description="times the mean distance to 3 nearest points")
    # optimisation
    strategy: Strategy = "mcmc"
    lr: LearningRates = LearningRates()
    densify: DensifyParams = DensifyParams()
    ssim_lambda: float = Field(default=0.2, ge=0, le=1, description="loss = (1-l)*L1 + l*(1-SSIM)")
    opacity_reg: float = Field(default=0.01, ge=0)
    scale_reg: float = Field(default=0.01, ge=0)
    seed: int = 42
    device: DeviceChoice = "auto"
    # per-photo appearance (exposure, white balance): used in the training loss only, never baked into the model
    appearance: AppearanceMode = Field(
        default="auto",
        description="affine: learn a colour transform (3x3 matrix + bias) per training photo, applied to the render "
        "in the loss only, their mean pinned to identity so the model keeps the photos' mean colours; off: none; "
        "auto: affine from `appearance_min_views` training photos on when their colours disagree along SfM's tracks "
        "(`appearance_colour_spread`), else none",
    )
    appearance_lr: float = Field(default=5e-3, gt=0, description="Adam LR of the per-photo colour transforms")
    appearance_reg: float = Field(default=0.01, ge=0, description="pull of each transform toward identity")
    appearance_refit: float = Field(
        default=0.5, ge=0, le=1, description="share of the way to the closed-form colour fit each visit (0: Adam only)"
    )
    appearance_min_views: int = Field(default=8, ge=1, description="auto: fewer training photos -> no transforms")
    appearance_colour_spread: float = Field(
        default=0.3,
        ge=0,
        description="auto: per-photo transforms when the training photos' colours, compared along SfM's tracks "
        "before training, spread at least this much (RMS per-photo log gain; spaceport_splats.photometry)",
    )
    appearance_auto_spread: float = Field(
        default=0.25,
        ge=0,
        description="auto, where the photos' colours cannot be compared (too few shared points): transforms spread "
        "less than this a fifth into the run are dropped",
    )
    budget: SceneBudgetParams = SceneBudgetParams()
    photo_cache: PhotoCacheParams = PhotoCacheParams()
    # reporting
    eval_steps: tuple[int, ...] = Field(default=(), description="extra held-out evaluations (the last is always)")
    checkpoint_every: int = Field(default=1000, ge=1, description="steps at which a checkpoint may be written")
    checkpoint_seconds: float = Field(
        default=60.0,
        ge=0,
        description="...once this many training seconds have passed since the last one, so a crash loses about a "
        "minute while a fast run does not stop to write its state every `checkpoint_every` steps (one checkpoint of "
        "1M splats took 2.5 s on an H200, 12% of the `quality` run's time; 0: every `checkpoint_every` steps)",
    )
    log_every: int = Field(default=500, ge=1)
    preview_views: int = Field(default=3, ge=0, description="held-out renders saved with the model")

    @property
    def refine_stop(self) -> int:
        """The last step (exclusive) at which densification runs."""
        return int(self.steps * self.densify.refine_stop_fraction)

    @classmethod
    def preset_named(cls, preset: TrainPreset) -> "TrainParams":
        """The named preset, fully resolved."""
        if preset == "preview":
            # minutes on 2 CPU cores: small photos, bigger and fainter initial splats (coverage before detail),
            # faster colour and size learning, quick growth; sceaux_castle: 15.3 dB held out in ~3 min
            return cls(
                preset="preview",
                steps=500,
                data_factor=8,
                max_image_side=256,
                sh_degree=1,
                sh_degree_interval=150,
                max_gaussians=60_000,
                init_scale=0.5,
                init_opacity=0.3,
                lr=LearningRates(means_final_factor=0.1, sh0=0.01, scales=0.01),
                densify=DensifyParams(refine_start=100, refine_every=50, refine_stop_fraction=0.7, growth=1.1),
                budget=SceneBudgetParams(max_gaussians_bound=150_000, steps_bound=1500),
                checkpoint_every=100,
                log_every=50,
                preview_views=2,
            )
        if preset == "quality":
            return cls(
                preset="quality",
                steps=30_000,
                max_gaussians=1_000_000,
                sh_degree_interval=1000,
                densify=DensifyParams(refine_every=100, growth=1.05, refine_stop_fraction=0.8),
                budget=SceneBudgetParams(max_gaussians_bound=3_000_000, steps_bound=100_000),
                log_every=1000,
            )
        # standard (the field defaults): 10k steps; grow 10% every 50 steps until 60% of the run and add an SH
        # band every 500 steps, so the cap is reached early and the model settles. Fox, H100
        # (benchmarks/trainer/RESULTS.md): 10k steps scored 31.02-31.30 dB (5 runs and variants) against
        # 30.86-30.95 dB at 5000 steps; 15k scored no more.
        return cls()
