"""Shared helpers for tests that need the JS tools: splat-transform, and PlayCanvas in headless Chromium.

CI installs them (`npm ci`, `apt-get install -y chromium`) and sets `SPACEPORT_REQUIRE_BROWSER=1` (or `CI`),
so a missing tool fails the test there; on a laptop without them the test is skipped.
"""

import http.server
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "node_modules"
SPLAT_TRANSFORM = NODE_MODULES / ".bin" / "splat-transform"
PAGE_DIR = Path(__file__).with_name("sog_page")
CHROMIUM = Path(os.environ.get("SPACEPORT_CHROMIUM", "/usr/bin/chromium"))


def tools_required() -> bool:
    """Whether missing tools must fail tests (CI) rather than skip them."""
    return os.environ.get("SPACEPORT_REQUIRE_BROWSER") == "1" or bool(os.environ.get("CI"))


def require(*tools: str) -> None:
    """Check tools by name: node, chromium, splat-transform, playcanvas, playwright-core, babylon, gltf-validator."""
    found = {
        "node": shutil.which("node") is not None,
        "chromium": CHROMIUM.is_file(),
        "splat-transform": SPLAT_TRANSFORM.exists(),
        "playcanvas": (NODE_MODULES / "playcanvas" / "build" / "playcanvas.mjs").is_file(),
        "playwright-core": (NODE_MODULES / "playwright-core").is_dir(),
        "babylon": (NODE_MODULES / "@babylonjs" / "loaders" / "glTF").is_dir(),
        "gltf-validator": (NODE_MODULES / "gltf-validator").is_dir(),
    }
    missing = [tool for tool in tools if not found[tool]]
    if missing:
        message = f"JS test tools missing: {', '.join(missing)} (run `npm ci` and `apt-get install -y chromium`)"
        if tools_required():
            pytest.fail(message)
        pytest.skip(message)


def splat_transform(*args: str | Path, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    """Run PlayCanvas's splat-transform on the CPU (`-w -g cpu` first); raises with its output on failure."""
    command = [str(SPLAT_TRANSFORM), "-w", "-g", "cpu", *map(str, args)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, cwd=REPO, check=False)
    if run.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} failed ({run.returncode}):\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}"
        )
    return run


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves mounts: URL prefix -> folder (longest prefix wins); quiet."""

    mounts: ClassVar[dict[str, Path]] = {}

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0].split("#", 1)[0]
        for prefix in sorted(self.mounts, key=len, reverse=True):
            if clean.startswith(prefix):
                relative = clean[len(prefix) :].lstrip("/")
                target = (self.mounts[prefix] / relative).resolve()
                if self.mounts[prefix].resolve() in (target, *target.parents):
                    return str(target)
        return str(Path("/nonexistent"))

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output clean."""


@contextmanager
def serving(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """`handler` served on 127.0.0.1 from a background thread; yields the base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def static_server(mounts: dict[str, Path]) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 serving `mounts` (e.g. {'/assets/': folder}); yields its base URL."""
    with serving(type("Mounted", (_Handler,), {"mounts": mounts})) as url:
        yield url


@dataclass(frozen=True)
class Camera:
    """Where the page's camera stands and looks."""

    position: tuple[float, float, float] = (0.0, 0.0, 4.0)
    target: tuple[float, float, float] = (0.0, 0.0, 0.0)
    fov: float = 50.0
    size: tuple[int, int] = (320, 240)

    def query(self) -> str:
        """The page's query string for this camera."""
        w, h = self.size
        cam, target = ",".join(map(str, self.position)), ",".join(map(str, self.target))
        return f"w={w}&h={h}&cam={cam}&target={target}&fov={self.fov}"


@dataclass(frozen=True)
class Frame:
    """One rendered asset: the page's status and the canvas pixels [H, W, 3]."""

    status: dict[str, object]
    pixels: npt.NDArray[np.uint8]


@dataclass(frozen=True)
class RenderSession:
    """Frames by job name, and what went wrong in the browser."""

    frames: dict[str, Frame]
    console_errors: list[str]
    failed_requests: list[str]


def _page_root(tmp: Path) -> Path:
    root = tmp / "page"
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(PAGE_DIR / "index.html", root / "index.html")
    shutil.copy(NODE_MODULES / "playcanvas" / "build" / "playcanvas.mjs", root / "playcanvas.mjs")
    return root


def render_assets(assets: dict[str, Path], camera: Camera, work: Path, timeout_s: float = 240) -> RenderSession:
    """Render each asset (name -> .sog, meta.json or .ply file) with PlayCanvas in headless Chromium."""
    require("node", "chromium", "playcanvas", "playwright-core")
    out = work / "frames"
    out.mkdir(parents=True, exist_ok=True)
    mounts = {"/": _page_root(work)}
    jobs = []
    for name, path in assets.items():
        mounts[f"/assets/{name}/"] = path.parent
        jobs.append({"name": name, "query": f"asset=/assets/{name}/{path.name}&{camera.query()}"})
    with static_server(mounts) as url:
        run = subprocess.run(
            ["node", str(PAGE_DIR / "render.mjs"), f"{url}/index.html", str(out), json.dumps(jobs)],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            cwd=REPO,
            check=False,
        )
    if not (out / "result.json").is_file():
        raise AssertionError(f"render.mjs wrote no result ({run.returncode}):\n{run.stderr[-3000:]}")
    result = json.loads((out / "result.json").read_text())
    frames = {
        name: Frame(status, np.asarray(Image.open(out / f"{name}.png").convert("RGB"), dtype=np.uint8))
        for name, status in result["jobs"].items()
    }
    return RenderSession(frames, result["consoleErrors"], result["failedRequests"])


@dataclass(frozen=True)
class FileTiming:
    """One file the page fetched: its URL path and when (ms since navigation) it started and arrived."""

    path: str
    start: float
    end: float
    bytes: int


@dataclass(frozen=True)
class StreamSession:
    """A streamed SOG loaded by the engine: the page's status, the files in the order they arrived, the frame."""

    status: dict[str, object]
    files: list[FileTiming]
    pixels: npt.NDArray[np.uint8]
    console_errors: list[str]
    failed_requests: list[str]
    wall_s: float


@dataclass(frozen=True)
class StreamView:
    """How the page loads a streamed SOG: where it looks, how many levels coarser than wanted it may draw while
    loading (`underfill`), the engine's splat budget (None: its default, 0: none), and how many splats drawn in
    one frame end the wait (0: wait until nothing changed for 3 s); `throttle_mbps` emulates a link of that many
    Mbit/s with 20 ms latency in Chromium (0: loopback as it is)."""

    camera: Camera
    underfill: int = 8
    budget: int | None = None
    until_splats: int = 0
    throttle_mbps: float = 0.0


def stream_lod(lod_meta: Path, view: StreamView, work: Path, timeout_s: float = 300) -> StreamSession:
    """Load `lod_meta` (a lod-meta.json, or any gsplat asset) with PlayCanvas in headless Chromium over loopback
    HTTP, timing each file and each change in the splats drawn; `pixels` is empty when no screenshot came."""
    require("node", "chromium", "playcanvas", "playwright-core")
    out = work / "stream"
    out.mkdir(parents=True, exist_ok=True)
    mounts = {"/": _page_root(work), "/assets/lod/": lod_meta.parent}
    query = f"asset=/assets/lod/{lod_meta.name}&{view.camera.query()}&underfill={view.underfill}"
    query += f"&budget={view.budget}" if view.budget is not None else ""
    started = time.perf_counter()
    with static_server(mounts) as url:
        run = subprocess.run(
            ["node", str(PAGE_DIR / "lod_stream.mjs"), f"{url}/index.html", query, str(out)],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            cwd=REPO,
            check=False,
            env={
                **os.environ,
                "LOD_UNTIL_SPLATS": str(view.until_splats),
                "LOD_THROTTLE_MBPS": str(view.throttle_mbps),
            },
        )
    wall = time.perf_counter() - started
    if not (out / "result.json").is_file():
        raise AssertionError(f"lod_stream.mjs wrote no result ({run.returncode}):\n{run.stderr[-3000:]}")
    result = json.loads((out / "result.json").read_text())
    files = sorted(
        (FileTiming(r["path"], r["start"], r["end"], r["bytes"]) for r in result["resources"]), key=lambda f: f.end
    )
    frame = out / "frame.png"
    pixels = np.asarray(Image.open(frame).convert("RGB"), dtype=np.uint8) if frame.is_file() else np.zeros((0, 0, 3))
    return StreamSession(result["status"], files, pixels, result["consoleErrors"], result["failedRequests"], wall)
