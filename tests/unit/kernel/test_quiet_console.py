"""COLMAP's and gsplat's own log lines stay off the console of `spaceport run`: they go to the job's log files."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from spaceport_app.demo import generate_scene

pytestmark = pytest.mark.unit
GLOG_LINE = re.compile(r"^[IWEF]\d{8} \d\d:\d\d:\d\d\.\d+ ", re.MULTILINE)


def test_a_cpu_run_prints_no_colmap_or_gsplat_line(tmp_path: Path) -> None:
    """A CPU run that undistorts its photos in process (as a GPU run does) prints no glog-format line and no
    gsplat line; the undistortion's COLMAP log is kept with the trainer's outputs instead."""
    scene = generate_scene(tmp_path / "scene", views=16, width=480, height=360, seed=5)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "spaceport_app",
            "run",
            str(scene.images_dir),
            "--out",
            str(tmp_path / "out"),
            "--preset",
            "preview",
            "--set",
            "trainer.steps=20",
            "--set",
            "trainer.camera=undistort",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    console = run.stdout + run.stderr
    assert run.returncode in (0, 4), console[-3000:]
    assert GLOG_LINE.findall(console) == [], GLOG_LINE.findall(console)[:3]
    assert "gsplat" not in console.lower()
    [job] = (tmp_path / "out" / "jobs").iterdir()
    logs = list((job / "trainer" / "logs").glob("colmap.log.*"))
    assert logs and "Undistorting image" in logs[0].read_text()
