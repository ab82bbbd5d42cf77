"""Splat cap and steps from the scene: the preset's budget up to 50 photos, growing with photos and points."""

import pytest

from spaceport.params import JobOptions
from spaceport.params.trainer import SceneBudgetParams, TrainParams, TrainPreset
from spaceport_trainer.scene_budget import budgeted, scene_budget

pytestmark = pytest.mark.unit

PRESETS: tuple[TrainPreset, ...] = ("preview", "standard", "quality")
FOX_POINTS = {"preview": 12_157, "standard": 13_805, "quality": 13_805}  # benchmarks/sfm/RESULTS.md


@pytest.mark.parametrize("preset", PRESETS)
def test_fox_keeps_the_preset_budget(preset: TrainPreset) -> None:
    """Fox (50 photos) and any smaller scene train with exactly the preset's steps and cap."""
    params = TrainParams.preset_named(preset)
    for photos in (3, 24, 50):
        assert scene_budget(params, photos, FOX_POINTS[preset]) == (params.steps, params.max_gaussians)
    assert budgeted(params, 50, FOX_POINTS[preset]) is params


def test_standard_grows_with_the_square_root_of_the_photo_count() -> None:
    """standard: 200 photos get twice the steps and cap of 50, 1,000 photos about 4.5x, within the bounds."""
    params = TrainParams.preset_named("standard")
    assert scene_budget(params, 200, 20_000) == (20_000, 600_000)
    steps, cap = scene_budget(params, 1000, 100_000)
    assert steps == 40_000  # 44,721 wanted, the bound is 40k
    assert cap == round(300_000 * 20**0.5)
    assert scene_budget(params, 100_000, 0) == (40_000, 1_500_000)


def test_many_sfm_points_raise_the_cap() -> None:
    """Above the reference count the cap is at least points_factor times the SfM points (within its bound)."""
    params = TrainParams.preset_named("preview")
    assert scene_budget(params, 60, 30_000)[1] == 120_000
    assert scene_budget(params, 60, 90_000)[1] == 150_000  # preview's bound


def test_each_preset_has_its_own_bounds() -> None:
    """preview stays small enough for a CPU; quality may reach 3M splats and 100k steps."""
    preview = scene_budget(TrainParams.preset_named("preview"), 10_000, 0)
    quality = scene_budget(TrainParams.preset_named("quality"), 10_000, 0)
    assert preview == (1500, 150_000) and quality == (100_000, 3_000_000)


def test_disabled_or_fixed_budgets_are_kept() -> None:
    """`budget.enabled=false` keeps steps and cap as given; a bound below the given value never lowers it."""
    off = TrainParams(budget=SceneBudgetParams(enabled=False))
    assert scene_budget(off, 1000, 10**6) == (10_000, 300_000)
    low = TrainParams(budget=SceneBudgetParams(max_gaussians_bound=100_000, steps_bound=10))
    assert scene_budget(low, 1000, 0) == (10_000, 300_000)


def test_budgeted_params_carry_the_scene_budget() -> None:
    """`budgeted` returns the params with the grown steps and cap, everything else unchanged."""
    params = TrainParams.preset_named("standard")
    grown = budgeted(params, 800, 50_000)
    assert (grown.steps, grown.max_gaussians) == scene_budget(params, 800, 50_000)
    assert grown.model_dump(exclude={"steps", "max_gaussians"}) == params.model_dump(exclude={"steps", "max_gaussians"})


def test_budget_is_switched_off_from_the_command_line() -> None:
    """`--set trainer.budget.enabled=false` reaches the trainer's parameters and keeps the given values."""
    options = JobOptions.for_preset("standard").with_overrides(["trainer.budget.enabled=false", "trainer.steps=123"])
    assert scene_budget(options.trainer, 1000, 10**6) == (123, 300_000)
