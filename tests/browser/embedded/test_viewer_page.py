"""The 3D viewer page `spaceport run` writes renders the job's `.sog` through `spaceport view`'s server."""

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from spaceport.params.compressor import CompressParams
from spaceport_app.cli.view import handler_for
from spaceport_app.embedded.viewer import find_engine, viewer_page
from tests.browser.tools import REPO, require, serving

pytestmark = pytest.mark.browser
VISIBLE = 19_983
"""Splats of the seeded 20,000-splat scene that the SOG keeps: 17 would be drawn with alpha 0 and are left out."""


def make_sog(folder: Path) -> Path:
    """A small synthetic splat scene written as a `.sog` bundle by our compressor."""
    from spaceport_compressor.compression import compress
    from spaceport_compressor.ply import write_ply
    from spaceport_compressor.sink import ZipSink
    from spaceport_compressor.synthetic import synthetic_splats

    ply = folder / "model.ply"
    write_ply(ply, synthetic_splats(20000, sh_bands=1, seed=3))
    bundle = folder / "compressor" / "scene.sog"
    bundle.parent.mkdir(parents=True)
    compress(ply, ZipSink(bundle), CompressParams(sh_bands=1))
    return bundle


def load_viewer(folder: Path) -> tuple[dict[str, object], np.ndarray]:
    """`folder/viewer.html` served as `spaceport view` serves it, in headless Chromium: the page's
    `spaceportViewer` status, and which canvas pixels above the hint differ from the background [H, W]."""
    out = folder / "out"
    out.mkdir()
    with serving(handler_for(folder, find_engine())) as url:
        subprocess.run(
            ["node", str(Path(__file__).with_name("viewer_check.mjs")), f"{url}/viewer.html", str(out)],
            cwd=REPO,
            check=True,
            timeout=180,
            capture_output=True,
        )
    result = json.loads((out / "result.json").read_text())
    assert result["consoleErrors"] == [] and result["failedRequests"] == [], result
    pixels = np.asarray(Image.open(out / "canvas.png").convert("RGB")).astype(int)[:-40]  # [H, W, 3]
    background = np.array([0.07, 0.07, 0.08]) * 255
    return result["viewer"], np.abs(pixels - background).sum(axis=2) > 30


def test_viewer_page_renders_the_splat(tmp_path: Path) -> None:
    """viewer.html, served with the bundled engine, loads the `.sog` with progress, reports its splat count and
    size, and draws splats (pixels checked)."""
    require("node", "chromium", "playcanvas", "playwright-core")
    bundle = make_sog(tmp_path)
    (tmp_path / "viewer.html").write_text(viewer_page("compressor/scene.sog", tmp_path / "model.ply"))
    viewer, drawn = load_viewer(tmp_path)
    assert viewer["state"] == "rendering" and int(viewer["frames"]) >= 5  # type: ignore[call-overload]
    assert viewer["splats"] == VISIBLE and viewer["bytes"] == bundle.stat().st_size
    assert drawn.mean() > 0.02, f"only {drawn.mean():.1%} of the canvas shows splats ({bundle})"


def test_viewer_page_streams_a_large_model(tmp_path: Path) -> None:
    """Given the streamed SOG (lod-meta.json), the page lets the engine fetch the chunks itself (no download of
    its own), reports the finest level's splat count, and draws splats."""
    require("node", "chromium", "playcanvas", "playwright-core")
    from spaceport_compressor.lod_chunks import ChunkParams
    from spaceport_compressor.lod_writer import write_streamed_sog
    from spaceport_compressor.ply import write_ply
    from spaceport_compressor.sink import FolderSink
    from spaceport_compressor.synthetic import synthetic_splats

    splats = synthetic_splats(20000, sh_bands=1, seed=3)
    write_ply(tmp_path / "model.ply", splats)
    params = CompressParams(sh_bands=1, lod_coarsest=2000)
    write_streamed_sog(splats, FolderSink(tmp_path / "compressor" / "lod"), params, ChunkParams(4096, 16.0, 1024))
    (tmp_path / "viewer.html").write_text(viewer_page("compressor/lod/lod-meta.json", tmp_path / "model.ply"))
    viewer, drawn = load_viewer(tmp_path)
    assert viewer["state"] == "rendering" and int(viewer["frames"]) >= 5  # type: ignore[call-overload]
    assert viewer["splats"] == VISIBLE and viewer["bytes"] is None
    assert drawn.mean() > 0.02, f"only {drawn.mean():.1%} of the canvas shows splats"
