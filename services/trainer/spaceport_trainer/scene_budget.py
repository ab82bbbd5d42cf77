"""The splat cap and the steps for this scene: the preset's budget, grown with the photo count and SfM points."""

import structlog

from spaceport.params.trainer import TrainParams

log = structlog.get_logger(__name__)


def scene_budget(params: TrainParams, photos: int, points: int) -> tuple[int, int]:
    """(steps, max_gaussians) for a scene of `photos` photos and `points` SfM points.

    Up to `budget.reference_photos` photos, or with `budget.enabled` false: `steps` and `max_gaussians` as given.
    Above: both times (photos / reference) ** exponent, the cap also at least `points_factor` x points; each
    within its bound, never below the given value (a bound below it leaves the given value)."""
    b = params.budget
    if not b.enabled or photos <= b.reference_photos:
        return params.steps, params.max_gaussians
    growth = (photos / b.reference_photos) ** b.exponent
    steps = max(params.steps, min(round(params.steps * growth), b.steps_bound))
    wanted = max(params.max_gaussians * growth, b.points_factor * points)
    cap = max(params.max_gaussians, min(round(wanted), b.max_gaussians_bound))
    return steps, cap


def budgeted(params: TrainParams, photos: int, points: int) -> TrainParams:
    """`params` with the scene's steps and cap (the same object when nothing changes)."""
    steps, cap = scene_budget(params, photos, points)
    if (steps, cap) == (params.steps, params.max_gaussians):
        return params
    log.info(
        "scene_budget",
        photos=photos,
        points=points,
        steps=steps,
        max_gaussians=cap,
        preset_steps=params.steps,
        preset_max_gaussians=params.max_gaussians,
    )
    return params.model_copy(update={"steps": steps, "max_gaussians": cap})
