"""The `phone-video` demo capture: one MPEG-4 walk with motion blur, shake and colour drift, truth per frame."""

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from spaceport_app.demo import CAPTURES, generate_scene, load_ground_truth
from spaceport_app.demo.video_take import VIDEO_NAME, VideoTake, drift_gains, motion_blur, walk_times
from spaceport_sfm.video import extract_frames

pytestmark = pytest.mark.unit

SHORT = VideoTake(seconds=2.0, fps=12)


@pytest.fixture(scope="module")
def take_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 24-frame, 160x120 take of the walk, generated once for the module."""
    capture = replace(CAPTURES["phone-video"], video=SHORT).scaled(0.25)
    return generate_scene(tmp_path_factory.mktemp("video") / "scene", capture=capture).root


def test_take_is_one_video_with_the_truth_of_every_frame(take_dir: Path) -> None:
    """The images folder holds only the video; it decodes to every frame, and the truth names each frame."""
    images = take_dir / "images"
    assert [p.name for p in images.iterdir()] == [VIDEO_NAME]
    reader = cv2.VideoCapture(str(images / VIDEO_NAME))
    frames = []
    while True:
        ok, frame = reader.read()
        if not ok:
            break
        frames.append(frame)
    assert len(frames) == SHORT.frames and frames[0].shape == (120, 160, 3)
    truth = load_ground_truth(take_dir)
    assert list(truth.poses) == [f"frame_{i:06d}.jpg" for i in range(SHORT.frames)]
    centres = np.array([p.centre for p in truth.poses.values()])
    steps = np.linalg.norm(np.diff(centres, axis=0), axis=1)
    assert steps.max() < 4.0 * np.median(steps)  # one continuous walk, no jumps between frames


def test_frames_the_extractor_keeps_are_named_in_the_truth(take_dir: Path, tmp_path: Path) -> None:
    """SfM's frame extractor names the frames it keeps as the truth does, so their poses can be compared."""
    _, names = extract_frames(take_dir / "images" / VIDEO_NAME, tmp_path / "frames", target_frames=8)
    truth = load_ground_truth(take_dir)
    assert len(names) >= 4 and set(names) <= set(truth.poses)


def test_colour_drifts_smoothly_with_mean_one() -> None:
    """Gains average 1 per channel, span more than half a stop, and change little from one frame to the next."""
    gains = drift_gains(VideoTake(), np.random.default_rng(0))
    assert gains.shape == (240, 3) and np.allclose(gains.mean(axis=0), 1.0)
    span = gains.max(axis=0) - gains.min(axis=0)
    assert (gains.max(axis=0) / gains.min(axis=0) > 1.4).all()
    assert (np.abs(np.diff(gains, axis=0)).max(axis=0) < 0.05 * span).all()


def test_pace_varies_along_the_walk() -> None:
    """Exposures cover different lengths of the walk (so some stretches blur more), in order and without gaps."""
    times = walk_times(VideoTake(), np.random.default_rng(1))
    lengths = times[:, 1] - times[:, 0]
    assert lengths.max() / lengths.min() > 2.0
    assert (np.diff(times[:, 0]) > 0).all() and times[0, 0] == 0.0 and times[-1, 1] <= 1.0


def test_motion_blur_smears_along_the_motion_only() -> None:
    """A horizontal blur softens a vertical edge and leaves a horizontal one sharp."""
    image = np.zeros((40, 40, 3), np.float32)
    image[:, 20:] = 255.0  # vertical edge
    image[20:, :, 1] = 255.0  # horizontal edge in the green channel
    blurred = motion_blur(image, np.array([8.0, 0.0]))
    assert 20 < blurred[10, 20, 0] < 235 and 20 < blurred[10, 17, 0] < 235  # the vertical edge spread out
    assert blurred[19, 5, 1] < 0.01 and blurred[20, 5, 1] > 254.99  # the horizontal edge untouched
