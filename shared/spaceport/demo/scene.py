"""`generate_scene`: render the demo world from an orbit of phone-like cameras and write the photos + truth.

Output layout (everything derived from `out_dir`):

    out_dir/images/view_000.jpg ...   JPEG photos, quality 92, no EXIF
    out_dir/ground_truth.json         intrinsics (SIMPLE_RADIAL) and per-image cam_from_world (OpenCV axes)
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import structlog
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from spaceport.demo.camera import Intrinsics, Pose, orbit_poses
from spaceport.demo.render import render_view
from spaceport.demo.world import build_world

JPEG_QUALITY = 92
GROUND_TRUTH = "ground_truth.json"
IMAGES = "images"
FORMAT = "spaceport-demo/1"

log = structlog.get_logger(__name__)


class _Camera(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    model: Literal["SIMPLE_RADIAL"] = "SIMPLE_RADIAL"
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    f: float = Field(gt=0)
    cx: float
    cy: float
    k: float


class _CamFromWorld(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    R: tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]]
    t: tuple[float, float, float]


class _GroundTruthFile(BaseModel):
    """The on-disk schema of `ground_truth.json`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    format: Literal["spaceport-demo/1"] = FORMAT
    seed: int
    convention: str = (
        "cam_from_world: x_cam = R @ x_world + t; OpenCV camera axes (x right, y down, z forward); "
        "world z up, in metres; pixel (0.5, 0.5) is the centre of the top-left pixel, as in COLMAP"
    )
    camera: _Camera
    images: dict[str, _CamFromWorld]


@dataclass(frozen=True)
class DemoScene:
    """A generated scene on disk: where the photos are and the camera that took each of them."""

    root: Path
    seed: int
    intrinsics: Intrinsics
    poses: Mapping[str, Pose]  # image name (relative to images_dir) -> cam_from_world

    @property
    def images_dir(self) -> Path:
        """The folder holding the JPEG photos."""
        return self.root / IMAGES

    @property
    def ground_truth_path(self) -> Path:
        """The ground-truth JSON file."""
        return self.root / GROUND_TRUTH

    @property
    def image_paths(self) -> list[Path]:
        """The photos, in view order."""
        return [self.images_dir / name for name in self.poses]


def write_ground_truth(scene: DemoScene) -> Path:
    """Write `scene`'s intrinsics and poses to its ground-truth file and return the path."""
    cam = scene.intrinsics
    doc = _GroundTruthFile(
        seed=scene.seed,
        camera=_Camera(width=cam.width, height=cam.height, f=cam.f, cx=cam.cx, cy=cam.cy, k=cam.k),
        images={
            name: _CamFromWorld(R=tuple(map(tuple, pose.R.tolist())), t=tuple(pose.t.tolist()))  # type: ignore[arg-type]
            for name, pose in scene.poses.items()
        },
    )
    partial = scene.ground_truth_path.with_suffix(".json.partial")
    partial.write_text(doc.model_dump_json(indent=1) + "\n")
    partial.replace(scene.ground_truth_path)  # atomic: the file is whole or absent
    return scene.ground_truth_path


def load_ground_truth(path: Path) -> DemoScene:
    """Read a `ground_truth.json` (or its folder) back into a DemoScene; ValueError if malformed."""
    path = Path(path)
    file = path / GROUND_TRUTH if path.is_dir() else path
    doc = _GroundTruthFile.model_validate_json(file.read_text())
    c = doc.camera
    intrinsics = Intrinsics(width=c.width, height=c.height, f=c.f, cx=c.cx, cy=c.cy, k=c.k)
    poses = {name: Pose(R=np.array(p.R), t=np.array(p.t)) for name, p in doc.images.items()}
    return DemoScene(root=file.parent, seed=doc.seed, intrinsics=intrinsics, poses=poses)


def _prepare(out: Path) -> Path:
    """Make `out/images`, dropping an earlier scene's ground truth and views; refuse foreign files there."""
    images = out / IMAGES
    images.mkdir(parents=True, exist_ok=True)
    (out / GROUND_TRUTH).unlink(missing_ok=True)  # written last: no stale truth beside new photos
    for old in images.glob("view_*.jpg"):
        old.unlink()
    foreign = sorted(p.name for p in images.iterdir())
    if foreign:
        raise FileExistsError(f"{images} holds files that are not demo views: {', '.join(foreign[:5])}")
    return images


def generate_scene(
    out_dir: Path, views: int = 24, seed: int = 0, width: int = 640, height: int = 480, supersample: int = 2
) -> DemoScene:
    """Render `views` photos of the seed's world on an orbit and write them with their ground truth.

    The same arguments give byte-identical files; an earlier demo scene in `out_dir` is replaced.
    `supersample` s renders s x s rays per pixel (box-filtered) against aliasing; 1 is about four
    times faster but gives SfM fewer, less precise features.
    """
    if views < 3:
        raise ValueError(f"views must be at least 3 for a reconstruction, got {views}")
    if width < 32 or height < 32 or supersample < 1:
        raise ValueError(f"image size {width}x{height} (supersample {supersample}) is too small")
    start = time.perf_counter()
    out = Path(out_dir)
    images = _prepare(out)
    world = build_world(seed)
    cam = Intrinsics.phone(width, height)
    poses = orbit_poses(views, np.random.default_rng([seed, 1]))
    rays = cam.pixel_rays(supersample).astype(np.float32)
    digits = max(3, len(str(views - 1)))
    names = [f"view_{i:0{digits}d}.jpg" for i in range(views)]
    for name, pose in zip(names, poses, strict=True):
        render = render_view(world, cam, pose, supersample=supersample, rays=rays)
        Image.fromarray(render.rgb).save(images / name, quality=JPEG_QUALITY)
    scene = DemoScene(root=out, seed=seed, intrinsics=cam, poses=dict(zip(names, poses, strict=True)))
    write_ground_truth(scene)
    seconds = round(time.perf_counter() - start, 2)
    log.info("demo_scene_generated", views=views, width=width, height=height, seed=seed, seconds=seconds)
    return scene
