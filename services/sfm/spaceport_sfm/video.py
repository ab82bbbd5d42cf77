"""Frames from a video: even coverage of its timeline, each stretch's sharpest frame, blurred ones dropped."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import structlog
from numpy.typing import NDArray

from spaceport_sfm.errors import SfmError
from spaceport_sfm.quality import blur_threshold, downscaled_grey, sharpness
from spaceport_sfm.report import VideoReport

log = structlog.get_logger(__name__)

ANALYSIS_SIDE = 640
CANDIDATES_PER_FRAME = 8
"""Frames scored per frame kept: more finds sharper frames, at more decoding cost."""
JPEG_QUALITY = 95


def extract_frames(video: Path, out_dir: Path, target_frames: int) -> tuple[VideoReport, list[str]]:
    """Write about `target_frames` sharp, evenly spread frames as JPEGs; returns the report and the names."""
    fps, frame_count = _probe(video)
    step = max(1, frame_count // (target_frames * CANDIDATES_PER_FRAME)) if frame_count > 0 else 1
    scores = {i: sharpness(downscaled_grey(frame, ANALYSIS_SIDE)) for i, frame in _frames(video, step)}
    if not scores:
        raise SfmError("unreadable_video", f"{video.name}: no frame could be decoded")
    chosen, dropped = select_frames(scores, target_frames)
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    names = []
    wanted = set(chosen)
    for index, frame in _frames(video, 1, colour=True):
        if index in wanted:
            name = f"frame_{index:06d}.jpg"
            cv2.imwrite(str(out_dir / name), frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            names.append(name)
    total = max(frame_count, max(scores) + 1)
    report = VideoReport(
        source=video.name,
        frames_total=total,
        fps=fps,
        duration_s=total / fps if fps > 0 else 0.0,
        frames_kept=len(names),
        frames_dropped_blurry=dropped,
        sharpness_threshold=blur_threshold(list(scores.values())),
    )
    log.info("video_frames_extracted", video=video.name, kept=len(names), scored=len(scores), dropped=dropped)
    return report, names


def select_frames(scores: dict[int, float], target_frames: int) -> tuple[list[int], int]:
    """Split the timeline into `target_frames` stretches and keep each one's sharpest frame unless blurred.

    Returns the kept frame indices in order and the number of stretches dropped because even their
    sharpest frame was blurred.
    """
    indices = sorted(scores)
    threshold = blur_threshold(list(scores.values()))
    stretches = np.array_split(np.array(indices), min(target_frames, len(indices)))
    chosen: list[int] = []
    dropped = 0
    for stretch in stretches:
        best = max(stretch.tolist(), key=lambda i: scores[i])
        if scores[best] < threshold:
            dropped += 1
        else:
            chosen.append(best)
    return chosen, dropped


def _probe(video: Path) -> tuple[float, int]:
    capture = cv2.VideoCapture(str(video))
    try:
        if not capture.isOpened():
            raise SfmError("unreadable_video", f"{video.name}: not a video this service can decode")
        return float(capture.get(cv2.CAP_PROP_FPS) or 0.0), int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    finally:
        capture.release()


def _frames(video: Path, step: int, colour: bool = False) -> Iterator[tuple[int, NDArray[np.uint8]]]:
    """Every `step`-th frame (BGR if `colour`, else grey), with its index."""
    capture = cv2.VideoCapture(str(video))
    index = 0
    try:
        while capture.grab():
            if index % step == 0:
                ok, frame = capture.retrieve()
                if ok:
                    picked = frame if colour else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
                    yield index, picked.astype(np.uint8, copy=False)
            index += 1
    finally:
        capture.release()
