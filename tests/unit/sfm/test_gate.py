"""The gate's verdicts and reason codes, and the per-image diagnostics and hints behind them."""

from itertools import pairwise
from pathlib import Path

import pytest

from spaceport.criteria import Thresholds
from spaceport.events import SfmMetrics
from spaceport.params import SfmParams
from spaceport_sfm.diagnostics import diagnose
from spaceport_sfm.gate import Verdict, attempt_metrics, judge
from spaceport_sfm.graph import components
from spaceport_sfm.hints import reconstruction_hints
from spaceport_sfm.protocol import ChildResult, ImageStats, PairStats
from spaceport_sfm.report import AcceptedImage, ImageQuality, ModelSummary

pytestmark = pytest.mark.unit


def accepted(name: str, sharpness: float = 500.0, brightness: float = 0.5) -> AcceptedImage:
    quality = ImageQuality(sharpness=sharpness, brightness=brightness, dark_fraction=0.0, bright_fraction=0.0)
    return AcceptedImage(name=name, width=800, height=600, quality=quality)


def model(index: int, names: list[str], points: int = 5000, error: float = 0.8) -> ModelSummary:
    return ModelSummary(
        index=index,
        registered=len(names),
        points3d=points,
        observations=points * 4,
        mean_track_length=4.0,
        mean_reprojection_error_px=error,
        camera_model="SIMPLE_RADIAL",
        camera_params=(1000.0, 400.0, 300.0, 0.0),
        image_names=tuple(names),
    )


def chain(names: list[str], inliers: int = 300) -> list[PairStats]:
    return [PairStats(first=a, second=b, inliers=inliers) for a, b in pairwise(names)]


def result(
    names: list[str], pairs: list[PairStats], models: list[ModelSummary], keypoints: dict[str, int] | None = None
) -> ChildResult:
    counts = keypoints or {}
    return ChildResult(
        step_seconds={"extraction": 1.0},
        pairing="exhaustive",
        device="cpu",
        guided_matching=False,
        images=tuple(ImageStats(name=n, keypoints=counts.get(n, 4000)) for n in names),
        pairs=tuple(pairs),
        models=tuple(models),
        sparse_dir=Path("sparse") if models else None,
    )


SCENE_A = [f"a{i:02d}.jpg" for i in range(8)]
SCENE_B = [f"b{i:02d}.jpg" for i in range(8)]


def verdict_for(child: ChildResult, total: int, thresholds: Thresholds | None = None) -> Verdict:
    metrics = attempt_metrics(child, total, SfmParams())
    return judge(metrics, thresholds or Thresholds(), components([i.name for i in child.images], child.pairs))


def test_a_good_model_passes() -> None:
    """Every image in one model with enough points passes, with a message that carries the numbers."""
    verdict = verdict_for(result(SCENE_A, chain(SCENE_A), [model(0, SCENE_A)]), len(SCENE_A))
    assert verdict.passed and verdict.reason is None and "8/8" in verdict.message


def test_two_unrelated_scenes_are_named_as_such() -> None:
    """Two match-graph components of real size, each its own model, give `disconnected_scenes`."""
    names = SCENE_A + SCENE_B
    child = result(names, chain(SCENE_A) + chain(SCENE_B), [model(0, SCENE_A), model(1, SCENE_B)])
    verdict = verdict_for(child, len(names))
    assert not verdict.passed and verdict.reason == "disconnected_scenes"
    assert "2 unrelated groups" in verdict.message


def test_no_model_without_a_split_graph_is_no_reconstruction() -> None:
    """No model at all from one connected but weak graph gives `no_reconstruction`."""
    verdict = verdict_for(result(SCENE_A, chain(SCENE_A, 20), []), len(SCENE_A))
    assert verdict.reason == "no_reconstruction"


@pytest.mark.parametrize(
    ("child", "reason"),
    [
        (result(SCENE_A, chain(SCENE_A), [model(0, SCENE_A[:3])]), "too_few_registered"),
        (result(SCENE_A, chain(SCENE_A), [model(0, SCENE_A, points=400)]), "too_few_points"),
        (result(SCENE_A, chain(SCENE_A), [model(0, SCENE_A, error=3.5)]), "high_reprojection_error"),
        (result(SCENE_A, chain(SCENE_A), [model(0, SCENE_A[:4]), model(1, SCENE_A[4:])]), "fragmented_model"),
    ],
)
def test_each_failed_criterion_has_its_reason(child: ChildResult, reason: str) -> None:
    """Too few registered, too few points, a high error and a split model each map to their own code."""
    assert verdict_for(child, len(SCENE_A)).reason == reason


def test_thresholds_come_from_the_settings() -> None:
    """The same model fails once the configured point minimum is raised above its count."""
    child = result(SCENE_A, chain(SCENE_A), [model(0, SCENE_A, points=5000)])
    assert verdict_for(child, 8).passed
    assert verdict_for(child, 8, Thresholds(min_points=6000)).reason == "too_few_points"


def test_diagnostics_say_why_each_image_was_left_out() -> None:
    """Featureless, unmatched, unplaced and other-model images each get their outcome and an explanation."""
    names = [*SCENE_A, "blank.jpg", "stray.jpg", "loose.jpg", *SCENE_B[:3]]
    pairs = [*chain(SCENE_A), PairStats(first="a07.jpg", second="loose.jpg", inliers=40), *chain(SCENE_B[:3])]
    child = result(names, pairs, [model(0, SCENE_A), model(1, SCENE_B[:3])], keypoints={"blank.jpg": 12})
    diagnosis = diagnose([accepted(n) for n in names], child)
    outcome = {image.name: image.outcome for image in diagnosis.images}
    assert outcome["a03.jpg"] == "registered" and outcome["b01.jpg"] == "other_model"
    assert (outcome["blank.jpg"], outcome["stray.jpg"], outcome["loose.jpg"]) == (
        "no_features",
        "no_matches",
        "not_registered",
    )
    loose = next(image for image in diagnosis.images if image.name == "loose.jpg")
    assert loose.best_match == "a07.jpg" and loose.best_match_inliers == 40 and "a07.jpg" in loose.explanation


def test_hints_name_blurred_and_dark_photos() -> None:
    """A blurred and an underexposed photo are listed by name in the hints."""
    images = [accepted(n) for n in SCENE_A[:6]] + [
        accepted("shaky.jpg", sharpness=20.0),
        accepted("cellar.jpg", brightness=0.03),
    ]
    names = [image.name for image in images]
    diagnosis = diagnose(images, result(names, chain(names), [model(0, names)]))
    text = " ".join(reconstruction_hints(diagnosis, None))
    assert "blurred (shaky.jpg)" in text and "badly exposed (cellar.jpg)" in text


def test_hints_describe_separate_groups() -> None:
    """Disconnected scenes are described with their sizes and first and last photos."""
    names = SCENE_A + SCENE_B
    diagnosis = diagnose([accepted(n) for n in names], result(names, chain(SCENE_A) + chain(SCENE_B), []))
    text = " ".join(reconstruction_hints(diagnosis, "disconnected_scenes"))
    assert "2 unrelated groups" in text
    assert "8 photos (a00.jpg ... a07.jpg)" in text and "8 photos (b00.jpg ... b07.jpg)" in text


def test_metrics_report_the_largest_model_and_the_rest() -> None:
    """SfmMetrics carry the largest model's figures and count the images in the other models."""
    child = result(SCENE_A + SCENE_B, chain(SCENE_A), [model(0, SCENE_A, points=7000), model(1, SCENE_B[:5])])
    metrics: SfmMetrics = attempt_metrics(child, 16, SfmParams.preset("fast"))
    assert (metrics.images_registered, metrics.points3d, metrics.num_models) == (8, 7000, 2)
    assert (metrics.images_in_other_models, metrics.profile) == (5, "fast")


def test_photos_shared_by_overlapping_models_count_once() -> None:
    """A secondary model that shares photos with the largest adds only its own photos to those elsewhere: 6 of 8
    in the largest and 4 in an overlapping model (2 of them not in the largest) is 6 of 8, a passing share."""
    child = result(SCENE_A, chain(SCENE_A), [model(0, SCENE_A[:6]), model(1, SCENE_A[4:])])
    metrics = attempt_metrics(child, len(SCENE_A), SfmParams())
    assert metrics.images_in_other_models == 2
    assert verdict_for(child, len(SCENE_A)).passed
