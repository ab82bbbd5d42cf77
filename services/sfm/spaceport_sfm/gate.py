"""The SfM quality gate: the shared success criteria, turned into a verdict with a reason code."""

from collections.abc import Sequence
from dataclasses import dataclass

from spaceport.criteria import CriterionResult, Thresholds, sfm_results
from spaceport.events import SfmMetrics, SfmRejectReason
from spaceport.params import SfmParams
from spaceport_sfm.graph import substantial
from spaceport_sfm.protocol import ChildResult
from spaceport_sfm.report import Component


@dataclass(frozen=True)
class Verdict:
    """Passed, or the reason code and a message with numbers."""

    passed: bool
    reason: SfmRejectReason | None
    message: str
    results: tuple[CriterionResult, ...]


def attempt_metrics(
    result: ChildResult, images_total: int, params: SfmParams, groups: Sequence[Component] = ()
) -> SfmMetrics:
    """The figures of one attempt; the largest model is the one passed downstream. `groups` are the match
    graph's components: the photos of substantial groups other than the model's count as elsewhere."""
    best = result.models[0] if result.models else None
    return SfmMetrics(
        images_total=images_total,
        images_registered=best.registered if best else 0,
        points3d=best.points3d if best else 0,
        mean_track_length=round(best.mean_track_length, 4) if best else 0.0,
        mean_reprojection_error_px=round(best.mean_reprojection_error_px, 4) if best else 0.0,
        num_models=len(result.models),
        images_in_other_models=_photos_only_elsewhere(result),
        images_in_other_groups=_photos_elsewhere(groups, set(best.image_names) if best else set()),
        camera_model=best.camera_model if best else params.camera_model,
        profile=params.profile,
        step_seconds=dict(result.step_seconds),
        seconds=round(sum(result.step_seconds.values()), 3),
    )


ADVISORY = frozenset({"sfm_one_scene"})
"""Criteria the gate reports but does not reject on: photos of a second place are left out and the largest
model goes on (the job ends with a splat, that criterion failed and a hint naming the groups)."""


def judge(metrics: SfmMetrics, thresholds: Thresholds, groups: Sequence[Component]) -> Verdict:
    """Check the shared criteria; name the most useful reason when they fail."""
    results = tuple(sfm_results(metrics, thresholds))
    failed = [result for result in results if not result.passed and result.name not in ADVISORY]
    if not failed and metrics.num_models > 0:
        return Verdict(True, None, _summary(metrics), results)
    scenes = substantial(groups)
    split = len(scenes) >= 2
    names = {result.name for result in failed}
    reason: SfmRejectReason
    if split and (metrics.num_models == 0 or names & {"sfm_registered", "sfm_single_model"}):
        reason = "disconnected_scenes"
    elif metrics.num_models == 0:
        reason = "no_reconstruction"
    elif "sfm_single_model" in names:
        reason = "fragmented_model"
    elif "sfm_registered" in names:
        reason = "too_few_registered"
    elif "sfm_points" in names:
        reason = "too_few_points"
    else:
        reason = "high_reprojection_error"
    messages = [result.message for result in failed]
    if reason == "disconnected_scenes":
        sizes = ", ".join(str(scene.size) for scene in scenes)
        messages.insert(0, f"the photos form {len(scenes)} unrelated groups ({sizes} images)")
    elif reason == "no_reconstruction":
        messages.insert(0, f"no model could be built from {metrics.images_total} images")
    return Verdict(False, reason, "; ".join(messages), results)


def _photos_only_elsewhere(result: ChildResult) -> int:
    """Photos registered in a secondary model and not in the largest: COLMAP's models may share photos, which
    would otherwise count twice (44 in the largest and 49 in an overlapping one is not 93 of 60 photos)."""
    if not result.models:
        return 0
    largest = set(result.models[0].image_names)
    return len({name for model in result.models[1:] for name in model.image_names} - largest)


def _photos_elsewhere(groups: Sequence[Component], in_model: set[str]) -> int:
    """Photos of the substantial match-graph groups that hold no photo of the model."""
    return sum(group.size for group in substantial(groups) if not in_model & set(group.images))


def _summary(metrics: SfmMetrics) -> str:
    return (
        f"registered {metrics.images_registered}/{metrics.images_total} images, "
        f"{metrics.points3d} points, mean reprojection error {metrics.mean_reprojection_error_px:.2f} px"
    )
