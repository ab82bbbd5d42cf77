"""`generate_walk_video`: a video of the courtyard walk, encoded with ffmpeg, and the pose of every frame.

Output layout (everything derived from `out_dir`):

    out_dir/walk.mp4            H.264, yuv420p, `fps` frames a second, one lap of the walk
    out_dir/ground_truth.json   the demo's truth file; frame i is named `frame_{i:06d}.jpg`, as SfM names
                                the frames it takes from a video, so its poses compare with the truth directly

Frames are rendered one ray per pixel (no supersampling) and piped to ffmpeg raw, so no frame touches the disk.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import structlog

from spaceport_app.demo.capture import CAPTURES, Capture
from spaceport_app.demo.render import render_view
from spaceport_app.demo.scene import GROUND_TRUTH, DemoScene, write_ground_truth
from spaceport_app.demo.video_take import VIDEO_NAME, frame_name
from spaceport_app.demo.walk import walk_poses
from spaceport_app.demo.world import build_world

VIDEO = VIDEO_NAME
CRF = 18
log = structlog.get_logger(__name__)


def _ffmpeg(path: Path, width: int, height: int, fps: int) -> subprocess.Popen[bytes]:
    """An ffmpeg process reading raw RGB frames on stdin and writing an H.264 mp4 to `path`."""
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise RuntimeError("ffmpeg is not installed (Debian: apt-get install -y ffmpeg)")
    command = [
        exe, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
        "-r", str(fps), "-i", "-", "-c:v", "libx264", "-preset", "veryfast", "-crf", str(CRF),
        "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path),
    ]  # fmt: skip
    return subprocess.Popen(command, stdin=subprocess.PIPE)


def generate_walk_video(
    out_dir: Path,
    seconds: float = 120.0,
    fps: int = 30,
    width: int = 320,
    height: int = 240,
    seed: int = 0,
    capture: Capture | None = None,
) -> DemoScene:
    """Render `seconds` of the walk of `capture` (`CAPTURES["courtyard"]`) at `width` x `height` and `fps`,
    encode it to `out_dir/walk.mp4` and write the truth of every frame; returns the truth."""
    base = capture or CAPTURES["courtyard"]
    if base.walk is None:
        raise ValueError("a walk video needs a capture with a walk")
    frames = round(seconds * fps)
    if frames < 3:
        raise ValueError(f"{seconds} s at {fps} fps is fewer than 3 frames")
    camera = replace(base.cameras[0], width=width, height=height)
    cam = camera.intrinsics()
    start = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / GROUND_TRUTH).unlink(missing_ok=True)  # written last: no stale truth beside a new video
    world = build_world(seed, base.layout)
    poses = walk_poses(frames, np.random.default_rng([seed, 1]), base.walk)
    rays = cam.pixel_rays(1).astype(np.float32)
    partial = out / f".{VIDEO}.partial.mp4"
    encoder = _ffmpeg(partial, width, height, fps)
    assert encoder.stdin is not None  # Popen with stdin=PIPE always has one
    try:
        for pose in poses:
            encoder.stdin.write(render_view(world, cam, pose, supersample=1, rays=rays).rgb.tobytes())
        encoder.stdin.close()
        if encoder.wait() != 0:
            raise RuntimeError(f"ffmpeg failed with exit status {encoder.returncode}")
    finally:
        if encoder.poll() is None:
            encoder.kill()
            encoder.wait()
    partial.replace(out / VIDEO)
    names = [frame_name(i) for i in range(frames)]
    scene = DemoScene(
        root=out, seed=seed, cameras=dict.fromkeys(names, cam), poses=dict(zip(names, poses, strict=True))
    )
    write_ground_truth(scene)
    log.info("walk_video_generated", frames=frames, fps=fps, seconds=round(time.perf_counter() - start, 1))
    return scene
