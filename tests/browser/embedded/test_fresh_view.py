"""A fresh machine without node or npm: the README's first command, then the `spaceport view` line it prints,
shows the demo model in headless Chromium (the engine fetched from the npm registry and checked)."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.browser.tools import REPO, require
from tests.support.services import free_port

pytestmark = pytest.mark.browser
PACKAGE_DIRS = ("shared", "services/sfm", "services/trainer", "services/compressor", "services/monitor")


def fresh_checkout(target: Path) -> Path:
    """The Python sources as a fresh clone has them: no node_modules, no bundled engine, no caches."""
    ignore = shutil.ignore_patterns("__pycache__", "vendor", "*.egg-info")
    for folder in ("shared", "services"):
        shutil.copytree(REPO / folder, target / folder, ignore=ignore)
    return target


def without_node(path: str) -> str:
    """PATH without the folders that hold node or npm."""
    return os.pathsep.join(
        d for d in path.split(os.pathsep) if d and not any((Path(d) / tool).exists() for tool in ("node", "npm"))
    )


def test_demo_then_view_without_node_shows_the_model(tmp_path: Path) -> None:
    """`spaceport demo` then `spaceport view DIR` with node and npm off the PATH and no engine anywhere: the page
    loads the engine the view fetched (integrity checked) and draws the demo's splats (pixels checked)."""
    require("node", "chromium", "playwright-core")  # the test's own browser driver, not the user's command
    checkout = fresh_checkout(tmp_path / "clone")
    env = {
        **os.environ,
        "PATH": without_node(os.environ["PATH"]),
        "PYTHONPATH": os.pathsep.join(str(checkout / d) for d in PACKAGE_DIRS),
        "SPACEPORT_CACHE_DIR": str(tmp_path / "cache"),
    }
    assert shutil.which("node", path=env["PATH"]) is None and shutil.which("npm", path=env["PATH"]) is None
    spaceport = [sys.executable, "-m", "spaceport_app"]
    demo = subprocess.run(
        [*spaceport, "demo", "--out", str(tmp_path / "demo")], env=env, capture_output=True, text=True, timeout=900
    )
    assert demo.returncode == 0, demo.stderr[-3000:]
    view_lines = [line for line in demo.stderr.splitlines() if "view it with: spaceport view" in line]
    folder = view_lines[-1].split("spaceport view", 1)[1].strip()
    port = free_port()
    log = tmp_path / "view.log"  # a file, not a pipe nobody drains: a full pipe would block the server's exit
    with log.open("w") as sink:
        server = subprocess.Popen(
            [*spaceport, "view", folder, "--no-open", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 180  # the first view downloads the engine (19 MB)
        while "serving" not in log.read_text():
            assert server.poll() is None and time.monotonic() < deadline, (
                f"spaceport view did not start: {log.read_text()}"
            )
            time.sleep(0.2)
        out = tmp_path / "out"
        out.mkdir()
        subprocess.run(
            [
                "node",
                str(Path(__file__).with_name("viewer_check.mjs")),
                f"http://127.0.0.1:{port}/viewer.html",
                str(out),
            ],
            cwd=REPO,
            check=True,
            timeout=180,
            capture_output=True,
        )
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()  # leave no server behind, then fail: Ctrl-C must stop `spaceport view`
            raise
    assert "Traceback" not in log.read_text(), log.read_text()
    assert (tmp_path / "cache" / "playcanvas-2.23.3" / "playcanvas.min.mjs").is_file(), "the engine was fetched"
    result = json.loads((out / "result.json").read_text())
    assert result["consoleErrors"] == [] and result["failedRequests"] == [], result
    assert result["viewer"]["state"] == "rendering" and result["viewer"]["splats"] > 1000
    pixels = np.asarray(Image.open(out / "canvas.png").convert("RGB")).astype(int)[:-40]
    drawn = np.abs(pixels - np.array([0.07, 0.07, 0.08]) * 255).sum(axis=2) > 30
    assert drawn.mean() > 0.05, f"only {drawn.mean():.1%} of the canvas shows the demo model"
