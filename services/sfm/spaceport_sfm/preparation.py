"""Input step: validated photos, or frames from a video, ready for pycolmap; or a reason to stop here."""

from dataclasses import dataclass
from pathlib import Path

import structlog

from spaceport.events import SfmRejectReason
from spaceport.params import SfmParams
from spaceport_sfm.inputs import InputScan, scan_inputs
from spaceport_sfm.masks import prepare_masks, warn_masks_ignored
from spaceport_sfm.report import AcceptedImage, InputKind, SkippedFile, VideoReport
from spaceport_sfm.video import extract_frames

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class PreparedInput:
    """The images SfM will run on (under `images_dir`) and what was left out."""

    images_dir: Path
    accepted: tuple[AcceptedImage, ...]
    skipped: tuple[SkippedFile, ...]
    input_kind: InputKind
    video: VideoReport | None = None
    changed: bool = False
    masks_dir: Path | None = None


@dataclass(frozen=True)
class InputRejection:
    """The upload cannot be reconstructed at all."""

    reason: SfmRejectReason
    message: str


def prepare_inputs(source: Path, work_dir: Path, params: SfmParams, input_kind: InputKind) -> PreparedInput:
    """Validate `source`; a video (asked for, or the only upload) becomes sharp, evenly spread frames."""
    scan = scan_inputs(source, work_dir / "images", work_dir / "unpacked", params.min_side_px)
    use_video = bool(scan.videos) and (input_kind == "video" or not scan.accepted)
    if not use_video:
        if input_kind == "video":
            log.warning("video_expected_photos_found", photos=len(scan.accepted))
        ignored = [
            SkippedFile(name=v.name, reason="video_ignored", detail="a video among photos is not used")
            for v in scan.videos
        ]
        masked = prepare_masks(source, scan.images_dir, scan.accepted)
        skipped = (*scan.skipped, *ignored, *masked.skipped)
        return PreparedInput(
            scan.images_dir, masked.accepted, skipped, "photos", changed=scan.changed, masks_dir=masked.masks_dir
        )
    warn_masks_ignored(source)
    return _from_video(scan, work_dir, params)


def _from_video(scan: InputScan, work_dir: Path, params: SfmParams) -> PreparedInput:
    video, *others = scan.videos
    report, _ = extract_frames(video, work_dir / "frames", params.video_target_frames)
    frames = scan_inputs(work_dir / "frames", work_dir / "video_images", work_dir / "unpacked", params.min_side_px)
    first_only = f"only the first video ({video.name}) is used"
    left_out = [SkippedFile(name=v.name, reason="video_ignored", detail=first_only) for v in others]
    left_out += [
        SkippedFile(name=a.name, reason="video_ignored", detail="photos beside a video are not used")
        for a in scan.accepted
    ]
    return PreparedInput(
        frames.images_dir,
        frames.accepted,
        (*scan.skipped, *left_out, *frames.skipped),
        "video",
        video=report,
        changed=True,
    )


def input_rejection(prepared: PreparedInput, params: SfmParams) -> InputRejection | None:
    """Why the accepted images cannot make a model before any pycolmap work, or None."""
    count = len(prepared.accepted)
    if count >= params.min_images:
        return None
    too_small = [item for item in prepared.skipped if item.reason == "too_small"]
    if too_small and count + len(too_small) >= params.min_images:
        return InputRejection(
            "images_too_small",
            f"{len(too_small)} of {count + len(too_small)} images are "
            f"smaller than {params.min_side_px} px on their short side; "
            f"{count} usable (need at least {params.min_images})",
        )
    if count == 0:
        found = len(prepared.skipped)
        detail = f" ({found} file(s), none a usable JPEG or PNG photo)" if found else " (the upload is empty)"
        return InputRejection("no_images", "no usable images" + detail)
    return InputRejection("too_few_images", f"{count} usable image(s) (need at least {params.min_images})")
