"""Read a COLMAP sparse model (through pycolmap): cameras, registered images, points and colours."""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# COLMAP model -> (projection, names of its parameters). Distortion is mapped in `cameras.py`.
CAMERA_PARAMS: dict[str, tuple[str, ...]] = {
    "SIMPLE_PINHOLE": ("f", "cx", "cy"),
    "PINHOLE": ("fx", "fy", "cx", "cy"),
    "SIMPLE_RADIAL": ("f", "cx", "cy", "k1"),
    "RADIAL": ("f", "cx", "cy", "k1", "k2"),
    "OPENCV": ("fx", "fy", "cx", "cy", "k1", "k2", "p1", "p2"),
    "FULL_OPENCV": ("fx", "fy", "cx", "cy", "k1", "k2", "p1", "p2", "k3", "k4", "k5", "k6"),
    "OPENCV_FISHEYE": ("fx", "fy", "cx", "cy", "k1", "k2", "k3", "k4"),
    "SIMPLE_RADIAL_FISHEYE": ("f", "cx", "cy", "k1"),
    "RADIAL_FISHEYE": ("f", "cx", "cy", "k1", "k2"),
}


class ColmapError(ValueError):
    """The sparse model is missing or cannot be used."""


@dataclass(frozen=True)
class CameraIntrinsics:
    """One COLMAP camera: model name, size in pixels and its parameters by name."""

    model: str
    width: int
    height: int
    params: dict[str, float]

    @property
    def fx(self) -> float:
        return self.params.get("fx", self.params.get("f", 0.0))

    @property
    def fy(self) -> float:
        return self.params.get("fy", self.params.get("f", 0.0))

    @property
    def cx(self) -> float:
        return self.params["cx"]

    @property
    def cy(self) -> float:
        return self.params["cy"]


@dataclass(frozen=True)
class ImagePose:
    """A registered image: file name, its camera, and its world-to-camera transform (OpenCV axes)."""

    name: str
    camera_id: int
    world_to_cam: np.ndarray  # [4, 4] float64


@dataclass(frozen=True)
class SparseModel:
    """What training needs from SfM. Images are sorted by name."""

    cameras: dict[int, CameraIntrinsics]
    images: list[ImagePose]
    points: np.ndarray  # [P, 3] float64
    colors: np.ndarray  # [P, 3] uint8

    @property
    def num_points(self) -> int:
        return int(self.points.shape[0])


def find_model_dir(path: Path) -> Path:
    """`path` itself, or `path/sparse/0`, `path/sparse`, `path/0`: whichever holds a COLMAP model."""
    for candidate in (path, path / "sparse" / "0", path / "sparse", path / "0"):
        if (candidate / "cameras.bin").is_file() or (candidate / "cameras.txt").is_file():
            return candidate
    raise ColmapError(f"no COLMAP model (cameras.bin or cameras.txt) under {path}")


PycolmapObject = Any
"""A pycolmap Camera or Image: the binding ships no type information that mypy can read."""


def _camera(cam: PycolmapObject) -> CameraIntrinsics:
    model = cam.model.name
    names = CAMERA_PARAMS.get(model)
    values = [float(v) for v in cam.params]
    params = dict(zip(names, values, strict=True)) if names else {f"p{i}": v for i, v in enumerate(values)}
    return CameraIntrinsics(model=model, width=int(cam.width), height=int(cam.height), params=params)


def _pose(image: PycolmapObject) -> np.ndarray:
    rigid = image.cam_from_world
    rigid = rigid() if callable(rigid) else rigid
    mat = np.eye(4)
    mat[:3, :] = rigid.matrix()
    return mat


LOG_FOLDER = "logs"
LOG_PREFIX = "colmap.log."


PROCESS_LOG_FOLDER = Path(tempfile.gettempdir()) / "spaceport-colmap-logs"
"""Where COLMAP's lines go outside a `colmap_log` block (never the console)."""


@contextmanager
def colmap_log(folder: Path) -> Iterator[Path]:
    """Within the block, COLMAP's own log lines (glog, from pycolmap calls in this process) go to
    `folder/colmap.log.<time>.<pid>` instead of the console (errors still reach stderr); on leaving, that file is
    closed, so it is complete for whoever uploads it."""
    import pycolmap

    folder.mkdir(parents=True, exist_ok=True)
    glog = pycolmap.logging
    glog.alsologtostderr = False
    glog.logtostderr = False
    glog.stderrthreshold = 2  # ERROR and FATAL only
    glog.set_log_destination(glog.INFO, str(folder / LOG_PREFIX))
    try:
        yield folder
    finally:
        PROCESS_LOG_FOLDER.mkdir(parents=True, exist_ok=True)
        glog.set_log_destination(glog.INFO, str(PROCESS_LOG_FOLDER / LOG_PREFIX))  # closes (flushes) the job's file


def read_sparse_model(path: Path) -> SparseModel:
    """Parse the model at `path` (see `find_model_dir`); only registered images are kept."""
    import pycolmap

    model_dir = find_model_dir(path)
    try:
        rec = pycolmap.Reconstruction(str(model_dir))
    except Exception as exc:  # pycolmap raises its own exception types
        raise ColmapError(f"cannot read the COLMAP model at {model_dir}: {exc}") from exc
    cameras = {int(cid): _camera(cam) for cid, cam in rec.cameras.items()}
    images = [
        ImagePose(name=img.name, camera_id=int(img.camera_id), world_to_cam=_pose(img))
        for img in rec.images.values()
        if img.has_pose
    ]
    images.sort(key=lambda im: im.name)
    pts = list(rec.points3D.values())
    points = np.array([p.xyz for p in pts], dtype=np.float64).reshape(-1, 3)
    colors = np.array([p.color for p in pts], dtype=np.uint8).reshape(-1, 3)
    return SparseModel(cameras=cameras, images=images, points=points, colors=colors)


def count_points(path: Path) -> int:
    """The number of 3D points of the model at `path` (the input gate reads only this)."""
    import pycolmap

    return int(pycolmap.Reconstruction(str(find_model_dir(path))).num_points3D())
