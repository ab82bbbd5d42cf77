"""Hints for the user: the troubleshooting guide, applied to what this job's diagnostics found."""

from collections.abc import Sequence
from itertools import pairwise

from spaceport.events import SfmRejectReason
from spaceport_sfm.diagnostics import Diagnosis
from spaceport_sfm.graph import substantial
from spaceport_sfm.report import Component, ImageDiagnostic, ImageOutcome, SkippedFile

LISTED = 5
OUTCOME_ADVICE: tuple[tuple[ImageOutcome, str, str], ...] = (
    ("no_features", "have almost no texture", "include textured surfaces, not plain walls, sky or glass."),
    ("no_matches", "match no other photo", "they show something else or overlap too little with the rest."),
    (
        "not_registered",
        "matched others but could not be placed",
        "take more photos around them, moving sideways rather than turning on the spot.",
    ),
)
WEAK_LINK_INLIERS = 50
"""Consecutive photos sharing fewer verified matches than this are a weak link in the capture."""


def _names(items: Sequence[ImageDiagnostic | SkippedFile], most: int = LISTED) -> str:
    shown = ", ".join(item.name for item in items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


def input_hints(reason: SfmRejectReason, min_images: int, min_side_px: int) -> list[str]:
    """What to do when the upload itself cannot be reconstructed."""
    if reason == "images_too_small":
        return [f"Upload photos at least {min_side_px} px on their short side; full-resolution phone photos work best."]
    if reason == "too_few_images":
        return [
            f"Upload at least {min_images} photos (20-100 is typical): walk around the subject and take "
            "a photo every few steps, each overlapping its neighbours by 60-80%."
        ]
    return [
        "Upload JPEG or PNG photos, or one video (mp4/mov). HEIC, WebP and RAW files are not read: "
        "convert them to JPEG first."
    ]


def skipped_hints(skipped: Sequence[SkippedFile]) -> list[str]:
    """Which uploaded files were left out."""
    hints = []
    labels = (
        ("corrupt", "could not be decoded (damaged or truncated)"),
        ("not_an_image", "are not images"),
        ("unsupported_format", "are in a format not read"),
        ("too_small", "are too small"),
        ("duplicate", "are duplicates of other photos"),
        ("bad_mask", "have a mask that cannot be used (unreadable, or not the photo's shape)"),
        ("fully_masked", "have a mask that hides the whole photo"),
    )
    for reason, label in labels:
        files = [item for item in skipped if item.reason == reason]
        if files:
            hints.append(f"{len(files)} file(s) {label} and were skipped: {_names(files)}.")
    return hints


def reconstruction_hints(diagnosis: Diagnosis, reason: SfmRejectReason | None) -> list[str]:
    """What the diagnostics say a user could change, most specific first."""
    hints = _group_hints(diagnosis.components, reason)
    blurry = [image for image in diagnosis.images if image.blurry]
    if blurry:
        hints.append(
            f"{len(blurry)} photo(s) look blurred ({_names(blurry)}): hold the phone still, add light, or retake them."
        )
    dark = [image for image in diagnosis.images if image.exposure == "dark"]
    bright = [image for image in diagnosis.images if image.exposure == "bright"]
    if dark or bright:
        hints.append(
            f"{len(dark) + len(bright)} photo(s) are badly exposed ({_names(dark + bright)}): "
            "avoid shooting into the light and very dark corners."
        )
    for outcome, problem, advice in OUTCOME_ADVICE:
        images = diagnosis.with_outcome(outcome)
        if images:
            hints.append(f"{len(images)} photo(s) {problem} ({_names(images)}): {advice}")
    if reason != "disconnected_scenes":
        hints.extend(_weak_link_hints(diagnosis.images))
    if reason == "high_reprojection_error":
        hints.append(
            "Points do not line up well: keep the zoom fixed, avoid moving objects and people, "
            "and hold still while each photo is taken."
        )
    return hints


def _group_hints(groups: Sequence[Component], reason: SfmRejectReason | None) -> list[str]:
    scenes = substantial(groups)
    if len(scenes) < 2:
        return []
    described = "; ".join(f"{s.size} photos ({s.images[0]} ... {s.images[-1]})" for s in scenes)
    if reason == "disconnected_scenes":
        return [
            f"The photos form {len(scenes)} unrelated groups: {described}. Upload one scene per job, "
            "or add photos that connect the groups."
        ]
    return [f"Some photos form separate groups that were left out: {described}."]


def _weak_link_hints(images: Sequence[ImageDiagnostic]) -> list[str]:
    """Where the capture breaks: a registered photo and the unregistered next one share few matches."""
    by_name = {image.name: image for image in images}
    ordered = sorted(by_name)
    weak = [
        by_name[a]
        for a, b in pairwise(ordered)
        if (by_name[a].outcome == "registered") != (by_name[b].outcome == "registered")
        and (by_name[a].next_overlap_inliers or 0) < WEAK_LINK_INLIERS
    ]
    if not weak:
        return []
    return [
        f"The capture breaks after {_names(weak)}: the next photo shares few features with it. Take more "
        "photos there so that neighbours overlap by 60-80%."
    ]
