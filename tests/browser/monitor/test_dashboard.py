"""The dashboard in headless Chromium: the job list with criteria, the job page, and a .sog rendered in 3D."""

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from plyfile import PlyData, PlyElement
from pydantic import SecretStr

from spaceport.settings import Settings
from spaceport_monitor.api import create_app
from spaceport_monitor.assets import build_assets
from spaceport_monitor.settings import MonitorSettings
from tests.unit.monitor.harness import Harness, build_harness, recorded
from tests.unit.monitor.live import serve_app
from tests.unit.monitor.sequences import success

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[3]
NODE_MODULES = REPO / "node_modules"
CHROMIUM = Path(os.environ.get("SPACEPORT_CHROMIUM", "/usr/bin/chromium"))
SCRIPT = Path(__file__).with_name("dashboard_check.mjs")
TOKEN = "browser-test-token"
CLEAR = np.array([26, 26, 31])  # the viewer's clear colour (0.1, 0.1, 0.12)


@pytest.fixture(scope="module")
def browser_tools() -> Path:
    """node, Chromium, the pinned npm packages; if missing, fail under CI or SPACEPORT_REQUIRE_BROWSER=1."""
    needed = {
        "node": shutil.which("node"),
        "chromium": CHROMIUM if CHROMIUM.is_file() else None,
        **{
            pkg: NODE_MODULES / pkg if (NODE_MODULES / pkg).is_dir() else None
            for pkg in ("playwright-core", "playcanvas", "@playcanvas/splat-transform")
        },
    }
    missing = sorted(name for name, found in needed.items() if found is None)
    if missing:
        message = f"browser test tools missing: {', '.join(missing)} (npm ci; apt-get install chromium)"
        if os.environ.get("SPACEPORT_REQUIRE_BROWSER") == "1" or os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    build_assets(NODE_MODULES)
    return NODE_MODULES


def write_sphere_ply(path: Path, n: int = 4000) -> None:
    """A 3DGS PLY: `n` opaque splats on a unit sphere, coloured by direction."""
    v = np.random.default_rng(0).normal(size=(n, 3))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    names = [
        "x",
        "y",
        "z",
        "f_dc_0",
        "f_dc_1",
        "f_dc_2",
        "opacity",
        *[f"scale_{i}" for i in range(3)],
        *[f"rot_{i}" for i in range(4)],
    ]
    splats = np.zeros(n, dtype=[(name, "f4") for name in names])
    splats["x"], splats["y"], splats["z"] = v.T
    for i in range(3):
        splats[f"f_dc_{i}"] = ((v[:, i] + 1) / 2 - 0.5) / 0.28209479177387814
        splats[f"scale_{i}"] = np.log(0.06)
    splats["opacity"], splats["rot_0"] = 4.0, 1.0
    PlyData([PlyElement.describe(splats, "vertex")]).write(str(path))


@pytest.fixture
def dashboard(browser_tools: Path, tmp_path: Path, settings: Settings) -> Iterator[tuple[str, Harness]]:
    """A monitor API over HTTP holding a finished job whose `.sog` is in the store, and a rejected job."""
    h = build_harness(tmp_path, settings)
    job = "job-browser"
    ply, sog = tmp_path / "sphere.ply", tmp_path / "scene.sog"
    write_sphere_ply(ply)
    subprocess.run(
        [str(browser_tools / ".bin" / "splat-transform"), "-w", "-g", "cpu", str(ply), "-H", "0", str(sog)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    h.store.put_file(f"jobs/{job}/compressor/scene.sog", sog)
    preview = tmp_path / "view0.png"
    Image.new("RGB", (64, 48), (200, 120, 40)).save(preview)
    h.store.put_file(f"jobs/{job}/trainer/previews/view0.png", preview)
    h.feed([*success(job, uri=h.store.uri), *recorded("rejected")])
    app = create_app(h.api_context(MonitorSettings(api_token=SecretStr(TOKEN))))
    with serve_app(app) as url:
        yield url, h


def test_dashboard_lists_jobs_and_renders_the_splat(dashboard: tuple[str, Harness], tmp_path: Path) -> None:
    """The list shows both jobs with pass/fail chips; the job page shows criteria and renders the .sog."""
    url, _ = dashboard
    out = tmp_path / "browser"
    out.mkdir()
    run = subprocess.run(
        ["node", str(SCRIPT), url, "job-browser", str(out), TOKEN],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=150,
    )
    result = json.loads((out / "result.json").read_text())
    assert run.returncode == 0, run.stderr[-3000:]
    jobs = {j["job"]: j for j in result["jobs"]}
    assert set(jobs) == {"job-browser", "job-rejected"}
    assert jobs["job-browser"]["outcome"] == "succeeded" and jobs["job-rejected"]["outcome"] == "rejected"
    chips = {c["name"]: c["outcome"] for c in jobs["job-rejected"]["criteria"]}
    assert chips["sfm_points"] == "fail" and chips["sfm_reprojection_error"] == "pass"
    page = {c["name"]: c["outcome"] for c in result["criteria"]}
    assert page["model_size"] == "pass" and page["sog_outputs"] == "pass" and len(page) >= 13
    assert result["stages"] == ["sfm", "trainer", "compressor"]
    assert result["viewer"]["state"] == "rendering" and result["viewer"]["frames"] >= 5, result["viewer"]
    assert result["failedRequests"] == [] and result["consoleErrors"] == []
    pixels = np.asarray(Image.open(out / "splat.png").convert("RGB")).astype(int)
    splat = np.abs(pixels - CLEAR).max(axis=2) > 30
    assert splat.mean() > 0.02, f"only {splat.mean():.2%} of the view differs from the background"
    rows, cols = np.nonzero(splat)
    height, width = splat.shape
    assert abs(rows.mean() / height - 0.5) < 0.25 and abs(cols.mean() / width - 0.5) < 0.25
    assert len({tuple(p // 64) for p in pixels[splat]}) >= 4, "the splat should show several colours"


def test_dashboard_streams_a_large_models_lod_meta(browser_tools: Path, tmp_path: Path, settings: Settings) -> None:
    """A job whose compressor wrote a streamed SOG: the job page's 3D view loads lod-meta.json through the
    monitor's signed links, every chunk it asks for is served, and the splat is drawn."""
    from spaceport.events import Compressed
    from spaceport.params.compressor import CompressParams
    from spaceport_compressor.lod_chunks import ChunkParams
    from spaceport_compressor.lod_writer import write_streamed_sog
    from spaceport_compressor.ply import read_ply
    from spaceport_compressor.sink import FolderSink

    h = build_harness(tmp_path, settings)
    job = "job-lod"
    write_sphere_ply(tmp_path / "sphere.ply", n=16_000)
    lod = tmp_path / "lod"
    streamed = write_streamed_sog(
        read_ply(tmp_path / "sphere.ply").splats,
        FolderSink(lod),
        CompressParams(sh_bands=0, lod_coarsest=1000),
        ChunkParams(4096, 1.0, 1024),
    )
    for name in streamed.file_bytes:
        h.store.put_file(f"jobs/{job}/compressor/lod/{name}", lod / name)
    events = success(job, uri=h.store.uri)
    done = events[-1]
    assert isinstance(done, Compressed) and len(streamed.meta.filenames) > 3
    lod_uri = h.store.uri(f"jobs/{job}/compressor/lod/lod-meta.json")
    events[-1] = done.model_copy(update={"data": done.data.model_copy(update={"lod_uri": lod_uri})})
    h.feed(events)
    out = tmp_path / "browser"
    out.mkdir()
    with serve_app(create_app(h.api_context(MonitorSettings(api_token=SecretStr(TOKEN))))) as url:
        run = subprocess.run(
            ["node", str(SCRIPT), url, job, str(out), TOKEN], cwd=REPO, capture_output=True, text=True, timeout=150
        )
    result = json.loads((out / "result.json").read_text())
    assert run.returncode == 0, run.stderr[-3000:]
    assert result["viewer"]["state"] == "rendering" and result["viewer"]["frames"] >= 5, result["viewer"]
    assert result["failedRequests"] == [] and result["consoleErrors"] == []
    pixels = np.asarray(Image.open(out / "splat.png").convert("RGB")).astype(int)
    assert (np.abs(pixels - CLEAR).max(axis=2) > 30).mean() > 0.02
