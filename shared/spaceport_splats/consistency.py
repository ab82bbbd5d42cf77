"""Camera consistency: every photo agrees with its camera before training, and held-out scores use exactly
the cameras training used.

A photo whose size differs from its camera's (a turned phone photo, a photo swapped for another, a model
from downscaled images) or a principal point outside the image would train and score quietly wrong; here
it is an error that names the photo. `ViewCamera` records each held-out view's camera as training built it
(in the SfM world frame, so a scorer on another host can compare), and `check_same_cameras` refuses to
score with any other.
"""

import json

import numpy as np
from pydantic import BaseModel, ConfigDict, TypeAdapter

from spaceport_splats.colmap import CameraIntrinsics, ColmapError
from spaceport_splats.normalize import SceneTransform

STRETCH_TOLERANCE_PX = 1.0
"""Downscaling rounds each side on its own (half a pixel at most); more than this and the image is stretched."""
INTRINSICS_TOLERANCE = 1e-4
"""Relative difference of focal lengths and principal points (times the image size) that still counts as equal."""
POSE_TOLERANCE = 1e-5
"""Rotation entries, and translations relative to the camera's distance from the scene centre."""


class CameraMismatch(ColmapError):
    """A photo and its camera disagree, or a scorer's cameras differ from the ones training used."""


def check_photo(name: str, photo_size: tuple[int, int], camera: CameraIntrinsics) -> None:
    """Refuse a photo whose pixel size is not its camera's, or whose principal point lies outside it."""
    width, height = photo_size
    if (width, height) != (camera.width, camera.height):
        turned = (width, height) == (camera.height, camera.width)
        hint = " (turned: its EXIF orientation differs from what SfM saw)" if turned else ""
        raise CameraMismatch(
            f"photo {name} is {width}x{height} px but its camera ({camera.model}) is "
            f"{camera.width}x{camera.height} px{hint}"
        )
    if not (0.0 < camera.cx < camera.width and 0.0 < camera.cy < camera.height):
        raise CameraMismatch(
            f"photo {name}: principal point ({camera.cx:.1f}, {camera.cy:.1f}) lies outside the "
            f"{camera.width}x{camera.height} image"
        )


def check_scale(name: str, camera: CameraIntrinsics, size: tuple[int, int]) -> None:
    """Refuse a training size whose horizontal and vertical scales differ (the image would be stretched)."""
    sx, sy = size[0] / camera.width, size[1] / camera.height
    if (
        abs(size[1] - camera.height * sx) > STRETCH_TOLERANCE_PX
        and abs(size[0] - camera.width * sy) > STRETCH_TOLERANCE_PX
    ):
        raise CameraMismatch(
            f"photo {name}: scaled to {size[0]}x{size[1]} from {camera.width}x{camera.height} "
            f"({sx:.4f} across, {sy:.4f} down): the image would be stretched"
        )


class ViewCamera(BaseModel):
    """One view's camera as training built it: training size, pinhole intrinsics at that size, SfM-world pose."""

    model_config = ConfigDict(frozen=True)

    name: str
    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    world_to_cam: tuple[float, ...]  # the top 3 rows of the 4x4, row-major, SfM world units
    lens: str  # "pinhole" or "fisheye", with its coefficients: "pinhole(k1,...;p1,p2)"


def view_camera(
    name: str, K: np.ndarray, size: tuple[int, int], viewmat: np.ndarray, lens: str, transform: SceneTransform
) -> ViewCamera:
    """The record of a view built over the normalised world of `transform` (`viewmat` [4, 4], `K` [3, 3])."""
    rot, t = viewmat[:3, :3], viewmat[:3, 3]
    t_world = t / transform.scale - rot @ np.asarray(transform.center)
    rows = np.concatenate([rot, t_world[:, None]], axis=1)
    return ViewCamera(
        name=name,
        width=size[0],
        height=size[1],
        fx=float(K[0, 0]),
        fy=float(K[1, 1]),
        cx=float(K[0, 2]),
        cy=float(K[1, 2]),
        world_to_cam=tuple(float(v) for v in rows.reshape(-1)),
        lens=lens,
    )


_RECORDED = TypeAdapter(list[ViewCamera])


def recorded_cameras(report_json: bytes) -> list[ViewCamera] | None:
    """The `heldout_cameras` of a trainer's `report.json` (None for a report that has none)."""
    cameras = json.loads(report_json).get("heldout_cameras")
    return _RECORDED.validate_python(cameras) if cameras else None


def _differs(a: ViewCamera, b: ViewCamera) -> str | None:
    """What differs between two records of one view, or None."""
    if (a.width, a.height) != (b.width, b.height):
        return f"size {b.width}x{b.height} instead of {a.width}x{a.height}"
    if a.lens != b.lens:
        return f"lens {b.lens} instead of {a.lens}"
    scale = max(a.width, a.height)
    for field in ("fx", "fy", "cx", "cy"):
        if abs(getattr(a, field) - getattr(b, field)) > INTRINSICS_TOLERANCE * scale:
            return f"{field} {getattr(b, field):.3f} instead of {getattr(a, field):.3f}"
    pa, pb = np.array(a.world_to_cam).reshape(3, 4), np.array(b.world_to_cam).reshape(3, 4)
    distance = max(float(np.linalg.norm(pa[:, 3])), 1.0)
    rotation, translation = np.abs(pa[:, :3] - pb[:, :3]).max(), np.abs(pa[:, 3] - pb[:, 3]).max()
    if rotation > POSE_TOLERANCE or translation > POSE_TOLERANCE * distance:
        return f"pose differs by {rotation:.2g} in rotation, {translation:.2g} in translation"
    return None


def check_same_cameras(trained: list[ViewCamera], scoring: list[ViewCamera]) -> None:
    """Refuse to score with cameras other than the held-out cameras training used, naming the first photo."""
    by_name = {v.name: v for v in scoring}
    for view in trained:
        other = by_name.pop(view.name, None)
        if other is None:
            raise CameraMismatch(f"held-out photo {view.name} that training scored is not among the scorer's views")
        reason = _differs(view, other)
        if reason is not None:
            raise CameraMismatch(f"held-out photo {view.name}: the scorer's camera differs from training's ({reason})")
    if by_name:
        raise CameraMismatch(f"the scorer holds out photos training did not: {', '.join(sorted(by_name))}")
