"""Video input: sharp frames, evenly spread over the timeline, blurred ones dropped."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from spaceport.params import SfmParams
from spaceport_sfm.errors import SfmError
from spaceport_sfm.preparation import prepare_inputs
from spaceport_sfm.video import extract_frames, select_frames
from tests.unit.sfm.scenes import noise_image, write_video

pytestmark = pytest.mark.unit


def test_selection_keeps_the_sharpest_frame_of_each_stretch() -> None:
    """Each of the equal stretches contributes its sharpest frame."""
    scores = {i: float(i % 5) + 10.0 for i in range(20)}
    chosen, dropped = select_frames(scores, 4)
    assert chosen == [4, 9, 14, 19] and dropped == 0


def test_selection_drops_stretches_that_are_all_blurred() -> None:
    """A stretch whose best frame is far below the set's median sharpness contributes nothing."""
    scores = {i: 100.0 for i in range(30)} | {i: 1.0 for i in range(10, 20)}
    chosen, dropped = select_frames(scores, 3)
    assert dropped == 1 and all(not 10 <= i < 20 for i in chosen) and len(chosen) == 2


@pytest.fixture
def textured_frames(tmp_path: Path) -> list[Path]:
    """Twelve distinct textured stills."""
    folder = tmp_path / "stills"
    folder.mkdir()
    return [noise_image(folder / f"{i:02d}.jpg", (320, 240), seed=i) for i in range(12)]


def test_blurred_frames_are_not_extracted(textured_frames: list[Path], tmp_path: Path) -> None:
    """A video with a blurred copy after every still yields only sharp frames, about as many as asked."""
    video = write_video(textured_frames, tmp_path / "clip.mp4", (320, 240), blurred_every=1)
    report, names = extract_frames(video, tmp_path / "frames", target_frames=12)
    sharpness = [cv2.Laplacian(cv2.imread(str(tmp_path / "frames" / n), 0), cv2.CV_64F).var() for n in names]
    assert 10 <= report.frames_kept == len(names) <= 12
    assert report.frames_total == 36 and min(sharpness) > 0.5 * float(np.median(sharpness))


def test_undecodable_video_fails_with_a_reason(tmp_path: Path) -> None:
    """Random bytes named .mp4 raise `unreadable_video` instead of crashing."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "clip.mp4").write_bytes(np.random.default_rng(0).bytes(50_000))
    with pytest.raises(SfmError) as caught:
        prepare_inputs(tmp_path / "in", tmp_path / "work", SfmParams(), "video")
    assert caught.value.reason == "unreadable_video"


def test_a_lone_video_in_a_photo_upload_is_used_as_video(textured_frames: list[Path], tmp_path: Path) -> None:
    """An upload holding only a video is treated as a video even when the job says photos."""
    (tmp_path / "in").mkdir()
    write_video(textured_frames, tmp_path / "in" / "clip.mp4", (320, 240))
    prepared = prepare_inputs(tmp_path / "in", tmp_path / "work", SfmParams(video_target_frames=6), "photos")
    assert prepared.input_kind == "video" and prepared.video is not None and len(prepared.accepted) == 6
    assert prepared.changed
