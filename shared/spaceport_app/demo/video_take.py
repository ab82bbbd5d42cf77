"""A phone video of the demo world: one continuous walk around it, filmed at 30 fps with motion blur, hand
shake and the slow exposure and white-balance drift of a phone's auto exposure, encoded as an MPEG-4 file.

The pipeline takes such a video as it takes a user's (`spaceport run walk.mp4`): it keeps the sharpest frame
of each stretch of the timeline. The ground truth names every frame as the frame extractor does
(`frame_000123.jpg` for frame 123), so whichever frames SfM gets can be compared with their true poses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from spaceport_app.demo.camera import Intrinsics, Orbit, Pose, look_at
from spaceport_app.demo.render import render_view
from spaceport_app.demo.world import World

VIDEO_NAME = "walk.mp4"
FOURCC = "mp4v"  # MPEG-4 part 2, which OpenCV's wheels write without an external encoder


def frame_name(index: int) -> str:
    """The name the video frame extractor gives frame `index` (`spaceport_sfm.video`)."""
    return f"frame_{index:06d}.jpg"


@dataclass(frozen=True)
class VideoTake:
    """How the walk is filmed: its length, frame rate, shutter, shake and colour drift.

    A frame's blur is the image motion of the scene during its exposure: `shutter` of the frame interval at the
    walk's speed there (which varies by `pace_swing` along the walk, so some stretches are sharper), plus a hand
    shake of up to `shake_px` pixels in a random direction. Exposure drifts smoothly within +-`exposure_stops`
    and each channel's white balance within +-`white_balance` over the take, as a phone's auto exposure does
    while the view changes; the gains are normalised to mean 1 over the frames, as `ColourJitter` does."""

    seconds: float = 8.0
    fps: int = 30
    shutter: float = 0.5
    pace_swing: float = 0.6
    shake_px: float = 3.0
    exposure_stops: float = 0.6
    white_balance: float = 0.12

    @property
    def frames(self) -> int:
        """The number of frames of the take."""
        return round(self.seconds * self.fps)


def _smooth_curve(t: np.ndarray, rng: np.random.Generator, waves: int = 3) -> np.ndarray:
    """A smooth random curve over `t` in [0, 1] with values in [-1, 1]: a few slow sines of random phase."""
    curve = np.zeros_like(t)
    for k in range(1, waves + 1):
        curve += rng.uniform(0.5, 1.0) / k * np.sin(2.0 * math.pi * (k * t + rng.uniform(0.0, 1.0)))
    return curve / np.abs(curve).max()


def walk_times(take: VideoTake, rng: np.random.Generator) -> np.ndarray:
    """Where along the walk (0..1) each frame's exposure starts and ends: [frames, 2], at a varying pace."""
    samples = take.frames * 8
    t = np.linspace(0.0, 1.0, samples + 1)
    pace = 1.0 + take.pace_swing * _smooth_curve(t, rng)
    progress = np.concatenate([[0.0], np.cumsum((pace[1:] + pace[:-1]) / 2.0)])
    progress /= progress[-1]
    starts = np.arange(take.frames) / take.frames
    ends = starts + take.shutter / take.frames
    return np.stack([np.interp(starts, t, progress), np.interp(ends, t, progress)], axis=1)


def walk_pose(orbit: Orbit, u: float, phase: float) -> Pose:
    """The camera at share `u` of the walk: once around the orbit, with smooth swings in height and aim."""
    a = phase + 2.0 * math.pi * u * min(orbit.arc_deg, 360.0) / 360.0
    z = orbit.height + orbit.height_swing * math.sin(2.0 * a + phase)
    r = orbit.radius + orbit.radius_jitter * math.sin(3.0 * a)
    target = np.array([0.0, 0.0, orbit.target_height]) + orbit.target_jitter * np.array(
        [math.sin(5.0 * a), math.cos(4.0 * a), 0.5 * math.sin(7.0 * a)]
    )
    return look_at(
        np.array([r * math.cos(a), r * math.sin(a), z]), target, roll_deg=orbit.roll_jitter_deg * math.sin(a)
    )


def blur_vector(cam: Intrinsics, start: Pose, end: Pose, focus: np.ndarray) -> np.ndarray:
    """The median image motion (pixels, [2]) of points around `focus` between two poses of one exposure."""
    offsets = np.linspace(-1.5, 1.5, 3)  # over the stage, where parallax adds to the motion
    points = focus + np.array([[x, y, 0.0] for x in offsets for y in offsets])  # 3 x 3 across the stage
    moved = cam.project(end.to_camera(points)) - cam.project(start.to_camera(points))
    return np.median(moved, axis=0)


def motion_blur(rgb: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """`rgb` (float [H, W, 3]) smeared along `vector` (pixels): a box filter along the line of motion."""
    length = float(np.hypot(*vector))
    if length < 1.0:
        return rgb
    size = math.ceil(length) | 1
    kernel = np.zeros((size, size), np.float32)
    centre = size // 2
    steps = max(2 * size, 8)
    for s in np.linspace(-0.5, 0.5, steps):
        x = np.clip(np.rint(centre + s * vector[0]), 0, size - 1).astype(int)
        y = np.clip(np.rint(centre + s * vector[1]), 0, size - 1).astype(int)
        kernel[y, x] += 1.0
    kernel /= kernel.sum()
    return cv2.filter2D(rgb, -1, kernel, borderType=cv2.BORDER_REFLECT)


def drift_gains(take: VideoTake, rng: np.random.Generator) -> np.ndarray:
    """Per-frame channel gains [frames, 3] drifting smoothly over the take, mean 1 per channel."""
    t = np.linspace(0.0, 1.0, take.frames)
    exposure = take.exposure_stops * _smooth_curve(t, rng)[:, None]
    balance = take.white_balance * np.stack([_smooth_curve(t, rng) for _ in range(3)], axis=1)
    gains = np.exp2(exposure) * np.exp(balance)
    return gains / gains.mean(axis=0, keepdims=True)


class VideoFile:
    """An MPEG-4 file written frame by frame (RGB uint8 in)."""

    def __init__(self, path: str, fps: int, width: int, height: int) -> None:
        self._writer = cv2.VideoWriter(path, cv2.VideoWriter.fourcc(*FOURCC), fps, (width, height))
        if not self._writer.isOpened():
            raise RuntimeError(f"OpenCV cannot write {FOURCC} video to {path}")

    def write(self, rgb: np.ndarray) -> None:
        """Append one frame."""
        self._writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))

    def close(self) -> None:
        """Finish the file."""
        self._writer.release()


def film(world: World, cam: Intrinsics, take: VideoTake, orbit: Orbit, seed: int, path: Path) -> dict[str, Pose]:
    """Render and encode the take to `path`; returns each frame's true pose (at mid-exposure), by the name the
    frame extractor gives it.

    Frames are ray-cast at one ray per pixel (the blur and the codec hide the aliasing) and blurred in the image
    along the scene's motion during the exposure, which ignores parallax within one exposure."""
    rng = np.random.default_rng([seed, 3])
    phase = rng.uniform(0.0, 2.0 * math.pi)
    times = walk_times(take, rng)
    gains = drift_gains(take, rng)
    focus = np.array([0.0, 0.0, orbit.target_height])
    rays = cam.pixel_rays(1).astype(np.float32)
    video = VideoFile(str(path), take.fps, cam.width, cam.height)
    poses: dict[str, Pose] = {}
    try:
        for i, (start, end) in enumerate(times):
            pose = walk_pose(orbit, float(start + end) / 2.0, phase)
            shake = take.shake_px * rng.uniform(0.0, 1.0) * np.array(_unit(rng.uniform(0.0, 2.0 * math.pi)))
            vector = blur_vector(cam, walk_pose(orbit, float(start), phase), walk_pose(orbit, float(end), phase), focus)
            rgb = render_view(world, cam, pose, supersample=1, rays=rays).rgb.astype(np.float32)
            rgb = motion_blur(rgb, vector + shake) * gains[i]
            video.write(np.clip(rgb + 0.5, 0, 255).astype(np.uint8))
            poses[frame_name(i)] = pose
    finally:
        video.close()
    return poses


def _unit(angle: float) -> tuple[float, float]:
    return (math.cos(angle), math.sin(angle))
