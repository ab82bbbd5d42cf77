"""The held-out PSNR floor: on the colour-fitted figure when the trainer reports it, on the raw one before."""

import pytest

from spaceport.criteria import Thresholds, training_results
from spaceport.events import TrainMetrics

pytestmark = pytest.mark.unit


def _floor(**figures: float | None) -> tuple[str, float | str | None]:
    metrics = TrainMetrics(
        steps=500, steps_requested=500, gaussians=5000, initial_gaussians=2000, preset="preview", **figures
    )
    result = next(r for r in training_results(metrics, Thresholds()) if r.name == "heldout_psnr")
    return result.outcome, result.observed


def test_floor_uses_the_colour_fitted_figure_when_reported() -> None:
    """A jittered capture's low raw PSNR passes on its colour-fitted figure; a low fitted figure fails."""
    assert _floor(psnr=12.0, psnr_colour_fit=20.0) == ("pass", 20.0)
    assert _floor(psnr=20.0, psnr_colour_fit=12.0) == ("fail", 12.0)


def test_floor_falls_back_to_raw_psnr_for_older_trainers() -> None:
    """Without a colour-fitted figure (an older trainer's event) the raw PSNR is checked, as before."""
    assert _floor(psnr=20.0) == ("pass", 20.0)
    assert _floor(psnr=12.0) == ("fail", 12.0)
    assert _floor()[0] == "fail"


def test_older_events_without_the_field_still_read() -> None:
    """A ModelTrained metrics payload from before the field reads with it absent."""
    old = {"steps": 1, "steps_requested": 1, "gaussians": 1, "initial_gaussians": 1, "psnr": 20.0}
    metrics = TrainMetrics.model_validate(old)
    assert metrics.psnr_colour_fit is None and metrics.appearance == ""
