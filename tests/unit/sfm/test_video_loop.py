"""A video of a closed walk is paired sequentially, and loop closure ties its last frames to its first.

Renders 12 s of the courtyard walk at 10 fps (one lap, 240x180) with ffmpeg, and reconstructs it with SfM's fast
profile keeping 60 frames, a sequential window of 4 and 3 loop-closure neighbours per frame.
"""

import shutil
from pathlib import Path

import pytest

from spaceport.params import SfmParams
from spaceport_app.cli.demo import sparse_poses
from spaceport_app.demo import pose_errors
from spaceport_app.demo.video import generate_walk_video

pipeline = pytest.importorskip("spaceport_sfm.pipeline")
statistics = pytest.importorskip("spaceport_sfm.statistics")

pytestmark = [
    pytest.mark.unit,
    pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg (Debian: apt-get install -y ffmpeg)"),
]

FRAMES = 60


def test_walk_video_closes_its_loop(tmp_path: Path) -> None:
    """SfM pairs the frames sequentially; pairs between the first and the last eighth of the frames (which the
    window never pairs) are matched and verified; the frames' cameras lie close to the truth."""
    truth = generate_walk_video(tmp_path / "video", seconds=12.0, fps=10, width=240, height=180)
    params = SfmParams.preset("fast").model_copy(
        update={
            "video_target_frames": FRAMES,
            "sequential_overlap": 4,
            "loop_closure_neighbors": 3,
            "retry_with_robust_profile": False,
        }
    )
    report = pipeline.reconstruct(truth.root, tmp_path / "sfm", params)
    assert report.passed and report.sparse_dir is not None, report.message
    assert report.input_kind == "video" and report.attempts[-1].pairing == "sequential"
    names = sorted(p.name for p in report.images_dir.glob("frame_*.jpg"))
    first, last = set(names[: len(names) // 8]), set(names[-(len(names) // 8) :])
    _, verified = statistics.database_stats(tmp_path / "sfm" / "attempt-1" / "database.db")
    closing = [p for p in verified if {p.first, p.second} & first and {p.first, p.second} & last]
    assert closing, f"no verified pair joins {sorted(first)} to {sorted(last)}"
    estimated = sparse_poses(report.sparse_dir)
    errors = pose_errors(estimated, {n: truth.poses[n] for n in estimated})
    assert errors.compared >= 0.9 * len(names)
    assert errors.centre_median < 0.01 and errors.rotation_median_deg < 1.0, errors.summary()
