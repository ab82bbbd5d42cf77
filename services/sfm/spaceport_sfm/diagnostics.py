"""Per-image diagnostics: what happened to each photo, and the numbers that explain it."""

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from spaceport_sfm.graph import components, neighbours
from spaceport_sfm.protocol import ChildResult
from spaceport_sfm.quality import blur_threshold, exposure
from spaceport_sfm.report import AcceptedImage, Component, ImageDiagnostic, ImageOutcome

MIN_USEFUL_KEYPOINTS = 100
"""Fewer SIFT features than this and a photo cannot be matched reliably."""


@dataclass(frozen=True)
class Diagnosis:
    """Every accepted image's fate, and the groups of the match graph."""

    images: tuple[ImageDiagnostic, ...]
    components: tuple[Component, ...]

    def with_outcome(self, outcome: ImageOutcome) -> list[ImageDiagnostic]:
        """The images that ended with `outcome`."""
        return [image for image in self.images if image.outcome == outcome]


def diagnose(accepted: Sequence[AcceptedImage], result: ChildResult) -> Diagnosis:
    """Combine image quality, database statistics and the models into one record per image."""
    names = [image.name for image in accepted]
    groups = components(names, result.pairs)
    group_of = {name: group.index for group in groups for name in group.images}
    model_of = {name: model.index for model in result.models for name in model.image_names}
    keypoints = {stats.name: stats.keypoints for stats in result.images}
    links = neighbours(result.pairs)
    threshold = blur_threshold([image.quality.sharpness for image in accepted])
    ordered = sorted(names)
    next_of = dict(pairwise(ordered))
    records = []
    for image in accepted:
        linked = links.get(image.name, {})
        best = max(linked, key=lambda other: linked[other]) if linked else None
        following = next_of.get(image.name)
        outcome, explanation = _outcome(keypoints.get(image.name, 0), linked, model_of.get(image.name), best)
        records.append(
            ImageDiagnostic(
                name=image.name,
                outcome=outcome,
                explanation=explanation,
                sharpness=round(image.quality.sharpness, 2),
                blurry=image.quality.sharpness < threshold,
                exposure=exposure(image.quality),
                keypoints=keypoints.get(image.name, 0),
                matched_images=len(linked),
                best_match=best,
                best_match_inliers=linked[best] if best else 0,
                next_overlap_inliers=linked.get(following, 0) if following else None,
                component=group_of.get(image.name),
                model=model_of.get(image.name),
            )
        )
    return Diagnosis(tuple(records), groups)


def _outcome(keypoints: int, linked: dict[str, int], model: int | None, best: str | None) -> tuple[ImageOutcome, str]:
    if model == 0:
        return "registered", "registered in the model"
    if model is not None:
        return "other_model", f"reconstructed in a separate model ({model}) not connected to the main one"
    if keypoints < MIN_USEFUL_KEYPOINTS:
        return "no_features", (
            f"only {keypoints} features found: blurred, too dark or bright, or a plain surface (wall, sky, glass)"
        )
    if not linked or best is None:
        return "no_matches", (
            "matches no other photo: it shows something else, or overlaps too little with its neighbours"
        )
    return "not_registered", (
        f"matched {len(linked)} photo(s) (best: {best}, {linked[best]} matches) "
        "but could not be placed: too little overlap or too short a baseline"
    )
