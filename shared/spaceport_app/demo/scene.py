"""`generate_scene`: render the demo world from an orbit of phone-like cameras and write the photos + truth.

Output layout (everything derived from `out_dir`):

    out_dir/images/view_000.jpg ...   JPEG photos, quality 92; EXIF Make and Model name the camera
    out_dir/images/masks/view_000.jpg.png ...   with a moving object: masks that hide it (black = ignore)
    out_dir/clean/view_000.jpg ...    for a capture with colour jitter: the same photos in the true colours
    out_dir/images/walk.mp4           for a video capture, instead of the photos (`video_take`); the ground truth
                                      then names every frame as the frame extractor does (frame_000123.jpg)
    out_dir/ground_truth.json         cameras (SIMPLE_RADIAL) and per-image camera and cam_from_world (OpenCV axes),
                                      and where the moving object stood in which views
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import structlog
from pydantic import BaseModel, ConfigDict, Field

from spaceport_app.demo.camera import Intrinsics, Pose, orbit_poses
from spaceport_app.demo.capture import CAPTURES, Capture
from spaceport_app.demo.mover import MoverSpot, mover_spheres
from spaceport_app.demo.primitives import Sphere
from spaceport_app.demo.video_take import VIDEO_NAME, film
from spaceport_app.demo.views import CLEAN, ViewPlan, write_views
from spaceport_app.demo.walk import walk_poses
from spaceport_app.demo.world import build_world
from spaceport_splats.masks import MASKS_FOLDER

GROUND_TRUTH = "ground_truth.json"
IMAGES = "images"
FORMAT = "spaceport-demo/2"

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
    camera: str
    R: tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]]
    t: tuple[float, float, float]


class _GroundTruthFile(BaseModel):
    """The on-disk schema of `ground_truth.json`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    format: Literal["spaceport-demo/2"] = "spaceport-demo/2"
    seed: int
    convention: str = (
        "cam_from_world: x_cam = R @ x_world + t; OpenCV camera axes (x right, y down, z forward); "
        "world z up, in metres; pixel (0.5, 0.5) is the centre of the top-left pixel, as in COLMAP; "
        "each image names its camera in `cameras`"
    )
    cameras: dict[str, _Camera]
    images: dict[str, _CamFromWorld]
    moving: tuple[MoverSpot, ...] = ()


@dataclass(frozen=True)
class DemoScene:
    """A generated scene on disk: where the photos are, and the camera and pose that took each of them."""

    root: Path
    seed: int
    cameras: Mapping[str, Intrinsics]  # image name -> the intrinsics it was taken with
    poses: Mapping[str, Pose]  # image name (relative to images_dir) -> cam_from_world
    moving: tuple[MoverSpot, ...] = ()  # where the moving object stood, and in which views

    @property
    def intrinsics(self) -> Intrinsics:
        """The camera of the first view (every view's, for a one-camera capture)."""
        return self.cameras[next(iter(self.poses))]

    @property
    def images_dir(self) -> Path:
        """The folder holding the JPEG photos."""
        return self.root / IMAGES

    @property
    def clean_dir(self) -> Path:
        """The photos in the true colours, for a capture with colour jitter (else absent)."""
        return self.root / CLEAN

    @property
    def ground_truth_path(self) -> Path:
        """The ground-truth JSON file."""
        return self.root / GROUND_TRUTH

    @property
    def image_paths(self) -> list[Path]:
        """The photos, in view order."""
        return [self.images_dir / name for name in self.poses]


Row = tuple[float, float, float]


def _row(v: np.ndarray) -> Row:
    x, y, z = (float(c) for c in v)
    return (x, y, z)


def _rows(m: np.ndarray) -> tuple[Row, Row, Row]:
    return (_row(m[0]), _row(m[1]), _row(m[2]))


def _camera_doc(cam: Intrinsics) -> _Camera:
    return _Camera(width=cam.width, height=cam.height, f=cam.f, cx=cam.cx, cy=cam.cy, k=cam.k)


def write_ground_truth(scene: DemoScene) -> Path:
    """Write `scene`'s cameras and poses to its ground-truth file and return the path."""
    distinct = list(dict.fromkeys(scene.cameras.values()))
    ids = {cam: f"camera_{i}" for i, cam in enumerate(distinct)}
    doc = _GroundTruthFile(
        seed=scene.seed,
        cameras={ids[cam]: _camera_doc(cam) for cam in distinct},
        images={
            name: _CamFromWorld(
                camera=ids[scene.cameras[name]],
                R=_rows(pose.R),
                t=_row(pose.t),
            )
            for name, pose in scene.poses.items()
        },
        moving=scene.moving,
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
    cameras = {key: Intrinsics(**c.model_dump(exclude={"model"})) for key, c in doc.cameras.items()}
    unknown = sorted({p.camera for p in doc.images.values()} - set(cameras))
    if unknown:
        raise ValueError(f"{file}: images name cameras that are not listed: {', '.join(unknown)}")
    poses = {name: Pose(R=np.array(p.R), t=np.array(p.t)) for name, p in doc.images.items()}
    return DemoScene(
        root=file.parent,
        seed=doc.seed,
        cameras={n: cameras[p.camera] for n, p in doc.images.items()},
        poses=poses,
        moving=doc.moving,
    )


def _prepare(out: Path) -> Path:
    """Make `out/images`, dropping an earlier scene's ground truth and views; refuse foreign files there."""
    images = out / IMAGES
    images.mkdir(parents=True, exist_ok=True)
    (out / GROUND_TRUTH).unlink(missing_ok=True)  # written last: no stale truth beside new photos
    for old in [
        *images.glob("view_*.jpg"),
        *images.glob(f"{MASKS_FOLDER}/view_*.jpg.png"),
        *(out / CLEAN).glob("view_*.jpg"),
        images / VIDEO_NAME,
    ]:
        old.unlink(missing_ok=True)
    if (images / MASKS_FOLDER).is_dir() and not any((images / MASKS_FOLDER).iterdir()):
        (images / MASKS_FOLDER).rmdir()
    foreign = sorted(p.name for p in images.iterdir())
    if foreign:
        raise FileExistsError(f"{images} holds files that are not demo views: {', '.join(foreign[:5])}")
    return images


def generate_scene(
    out_dir: Path,
    views: int | None = None,
    seed: int = 0,
    width: int | None = None,
    height: int | None = None,
    supersample: int = 2,
    capture: Capture | None = None,
    workers: int = 1,
) -> DemoScene:
    """Render the seed's world as `capture` says (`CAPTURES["landscape"]` by default; `views`, `width` and
    `height` override its count and every camera's size) and write the photos with their ground truth.

    The same arguments give byte-identical files; an earlier demo scene in `out_dir` is replaced.
    `supersample` s renders s x s rays per pixel (box-filtered) against aliasing; 1 is about four
    times faster but gives SfM fewer, less precise features. `workers` renders the views in that many processes
    (0: as many as the cores and the views make worth it); the files are the same whatever it is.
    """
    capture = _resolve(capture or CAPTURES["landscape"], views, width, height)
    if capture.views < 3:
        raise ValueError(f"views must be at least 3 for a reconstruction, got {capture.views}")
    if supersample < 1 or any(c.width < 32 or c.height < 32 for c in capture.cameras):
        raise ValueError(
            f"image sizes {[(c.width, c.height) for c in capture.cameras]} (supersample {supersample}) are too small"
        )
    start = time.perf_counter()
    out = Path(out_dir)
    images = _prepare(out)
    world = build_world(seed, capture.layout)
    if capture.video is not None:
        cam = capture.cameras[0].intrinsics()
        poses_by_name = film(world, cam, capture.video, capture.orbit, seed, images / VIDEO_NAME)
        scene = DemoScene(root=out, seed=seed, cameras=dict.fromkeys(poses_by_name, cam), poses=poses_by_name)
        write_ground_truth(scene)
        log.info("demo_video_generated", frames=len(poses_by_name), seconds=round(time.perf_counter() - start, 2))
        return scene
    pose_rng = np.random.default_rng([seed, 1])
    poses = (
        walk_poses(capture.views, pose_rng, capture.walk)
        if capture.walk
        else orbit_poses(capture.views, pose_rng, capture.orbit)
    )
    digits = max(3, len(str(capture.views - 1)))
    names = [f"view_{i:0{digits}d}.jpg" for i in range(capture.views)]
    gains = capture.jitter.gains(capture.views, np.random.default_rng([seed, 2])) if capture.jitter else None
    spots = mover_spheres(world, capture.mover, seed) if capture.mover else []
    plan = ViewPlan(world, capture, tuple(poses), tuple(names), out, images, supersample, gains, tuple(spots))
    write_views(plan, workers)
    cameras = {name: capture.camera_of(i).intrinsics() for i, name in enumerate(names)}
    moving = _moving(capture, spots, names)
    scene = DemoScene(root=out, seed=seed, cameras=cameras, poses=dict(zip(names, poses, strict=True)), moving=moving)
    write_ground_truth(scene)
    seconds = round(time.perf_counter() - start, 2)
    log.info("demo_scene_generated", views=capture.views, cameras=len(capture.cameras), seed=seed, seconds=seconds)
    return scene


def _moving(capture: Capture, spots: list[Sphere], names: list[str]) -> tuple[MoverSpot, ...]:
    """Where the moving object stood, and which views saw it there."""
    if capture.mover is None:
        return ()
    mover = capture.mover
    return tuple(
        MoverSpot(
            centre=(float(s.centre[0]), float(s.centre[1]), float(s.centre[2])),
            radius=s.radius,
            views=tuple(n for i, n in enumerate(names) if mover.stop_of(i, len(names)) == k),
        )
        for k, s in enumerate(spots)
    )


def _resolve(capture: Capture, views: int | None, width: int | None, height: int | None) -> Capture:
    """`capture` with the view count and its camera's size replaced where given (one-camera captures only)."""
    if (width is not None or height is not None) and len(capture.cameras) > 1:
        raise ValueError("width and height set the size of a one-camera capture; scale a capture of several instead")
    cameras = tuple(
        replace(c, width=width if width is not None else c.width, height=height if height is not None else c.height)
        for c in capture.cameras
    )
    return replace(capture, cameras=cameras, views=views if views is not None else capture.views)
