"""Render and write a generated scene's photos (and masks, and clean copies), in this process or in workers.

Each view depends only on the plan and its index, so the files are byte-identical whatever the worker count;
workers are spawned (never forked from a process that may hold threads) and receive the plan once each."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from PIL import Image

from spaceport_app.demo.camera import Pose
from spaceport_app.demo.capture import CameraSpec, Capture
from spaceport_app.demo.mover import mover_mask
from spaceport_app.demo.primitives import Sphere
from spaceport_app.demo.render import render_view
from spaceport_app.demo.world import World
from spaceport_splats.masks import MASKS_FOLDER, write_mask

JPEG_QUALITY = 92
CLEAN = "clean"
EXIF_MAKE = 0x010F
EXIF_MODEL = 0x0110
VIEWS_PER_WORKER = 8
"""Fewer views than this per worker do not pay for a worker's start (its imports take a second or two)."""


@dataclass(frozen=True)
class ViewPlan:
    """Everything needed to render view i of a scene and write its files."""

    world: World
    capture: Capture
    poses: tuple[Pose, ...]
    names: tuple[str, ...]
    out: Path
    images: Path
    supersample: int
    gains: np.ndarray | None
    spots: tuple[Sphere, ...]


@cache
def _pixel_rays(spec: CameraSpec, supersample: int) -> np.ndarray:
    """The camera's pixel rays, computed once per process, camera and supersampling."""
    return spec.intrinsics().pixel_rays(supersample).astype(np.float32)


def write_views(plan: ViewPlan, workers: int = 1) -> None:
    """Render and write every view of `plan`; `workers` > 1 spreads them over that many processes (0: all cores,
    as many as pay for themselves)."""
    views = len(plan.names)
    wanted = workers or os.cpu_count() or 1
    count = max(1, min(wanted, views // VIEWS_PER_WORKER))
    if count == 1:
        for i in range(views):
            write_view(plan, i)
        return
    context = get_context("spawn")
    with ProcessPoolExecutor(count, mp_context=context, initializer=_adopt, initargs=(plan,)) as pool:
        for _ in pool.map(_write_adopted, range(views), chunksize=max(1, views // (4 * count))):
            pass


def write_view(plan: ViewPlan, i: int) -> None:
    """Render view `i` and write its photo (with the capture's colour jitter), clean copy and mask."""
    capture, name = plan.capture, plan.names[i]
    spec = capture.camera_of(i)
    spot = plan.spots[capture.mover.stop_of(i, len(plan.names))] if capture.mover else None
    seen = plan.world.with_objects((spot,)) if spot is not None else plan.world
    render = render_view(
        seen, spec.intrinsics(), plan.poses[i], supersample=plan.supersample, rays=_pixel_rays(spec, plan.supersample)
    )
    rgb = render.rgb
    exif = _exif(capture, spec)
    if plan.gains is not None:
        (plan.out / CLEAN).mkdir(exist_ok=True)
        Image.fromarray(rgb).save(plan.out / CLEAN / name, quality=JPEG_QUALITY, exif=exif)
        rgb = np.clip(rgb * plan.gains[i] + 0.5, 0, 255).astype(np.uint8)
    Image.fromarray(rgb).save(plan.images / name, quality=JPEG_QUALITY, exif=exif)
    if capture.mover is not None:
        keep = mover_mask(render, len(plan.world.primitives), capture.mover.margin_px)
        write_mask(keep, plan.images / MASKS_FOLDER / f"{name}.png")


_ADOPTED: list[ViewPlan] = []


def _adopt(plan: ViewPlan) -> None:
    """Worker start: keep the plan for the views this worker will be given."""
    _ADOPTED[:] = [plan]


def _write_adopted(i: int) -> None:
    write_view(_ADOPTED[0], i)


def _exif(capture: Capture, spec: CameraSpec) -> bytes:
    """EXIF naming the camera (as a phone's photos do), so SfM can tell the cameras of a capture apart."""
    exif = Image.Exif()
    exif[EXIF_MAKE] = "Spaceport demo"
    exif[EXIF_MODEL] = f"camera {capture.cameras.index(spec)}"
    return exif.tobytes()
