"""Trainer job parameters and their presets (preview / standard / quality)."""

from typing import Literal

from pydantic import Field

from spaceport.params.base import Params

TrainPreset = Literal["preview", "standard", "quality"]
Strategy = Literal["mcmc", "default"]


class TrainParams(Params):
    """Hyperparameters of one training run; `preset` names the preset it came from."""

    preset: TrainPreset = "standard"
    steps: int = Field(default=7000, ge=1)
    sh_degree: int = Field(default=3, ge=0, le=3)
    sh_degree_interval: int = Field(default=1000, ge=1)
    data_factor: int = Field(default=2, ge=1)
    max_gaussians: int = Field(default=500_000, ge=1000)
    strategy: Strategy = "mcmc"
    test_every: int = Field(default=8, ge=2)
    eval_steps: tuple[int, ...] = ()
    checkpoint_every: int = Field(default=1000, ge=1)
    ssim_lambda: float = Field(default=0.2, ge=0, le=1)
    seed: int = 42
    min_initial_points: int = Field(default=1000, ge=1)

    @classmethod
    def preset_named(cls, preset: TrainPreset) -> "TrainParams":
        """The named preset, fully resolved."""
        if preset == "preview":
            return cls(preset="preview", steps=300, data_factor=8, max_gaussians=100_000, sh_degree=1)
        if preset == "quality":
            return cls(preset="quality", steps=30_000, data_factor=1, max_gaussians=1_500_000)
        return cls(preset="standard")
