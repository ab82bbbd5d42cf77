"""A one-file 3D viewer page for a `.sog`, on the PlayCanvas engine bundled at build time (no CDN)."""

import json
from pathlib import Path

import numpy as np

from spaceport.engine import engine_file

VIEWER_HTML = (Path(__file__).parent / "viewer.html").read_text()


def _rotation_to_y_up(up: np.ndarray) -> np.ndarray:
    """The quaternion (x, y, z, w) turning the unit vector `up` [3] onto +Y by the shortest rotation."""
    target = np.array([0.0, 1.0, 0.0])
    axis = np.cross(up, target)
    sin, cos = float(np.linalg.norm(axis)), float(np.dot(up, target))
    if sin < 1e-9:
        return np.array([0.0, 0.0, 0.0, 1.0]) if cos > 0 else np.array([1.0, 0.0, 0.0, 0.0])
    half = np.arctan2(sin, cos) / 2
    return np.append(axis / sin * np.sin(half), np.cos(half))


def _rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate vector `v` [3] by the unit quaternion `q` (x, y, z, w)."""
    u, w = q[:3], q[3]
    return v + 2 * w * np.cross(u, v) + 2 * np.cross(u, np.cross(u, v))


def _cameras(sparse_dir: Path | None) -> tuple[np.ndarray, np.ndarray] | None:
    """Mean world-up of the photos (the opposite of their image y axis) [3], and the first photo's centre [3]."""
    if sparse_dir is None or not sparse_dir.is_dir():
        return None
    import pycolmap

    images = sorted(
        (i for i in pycolmap.Reconstruction(str(sparse_dir)).images.values() if i.has_pose), key=lambda i: i.name
    )
    if not images:
        return None
    ups = np.array([-i.cam_from_world().rotation.matrix()[1] for i in images])  # [N, 3] rows of R = camera axes
    up = ups.mean(axis=0)
    return up / np.linalg.norm(up), np.asarray(images[0].projection_center(), dtype=np.float64)


def framing(ply: Path | None, sparse_dir: Path | None = None) -> dict[str, object] | None:
    """How the viewer shows a model: a rotation that puts the photos' up on +Y (180 deg about Z when the
    cameras are unknown), the median splat position, the 80th-percentile distance from it, and the first
    photo's centre (the view starts there), all in the turned frame. None when the model is unknown."""
    if ply is None or not ply.is_file():
        return None
    from plyfile import PlyData

    vertex = PlyData.read(str(ply))["vertex"]
    xyz = np.stack([vertex["x"], vertex["y"], vertex["z"]], axis=1).astype(np.float64)  # [N, 3]
    xyz = xyz[np.isfinite(xyz).all(axis=1)]
    if len(xyz) == 0:
        return None
    cameras = _cameras(sparse_dir)
    q = _rotation_to_y_up(cameras[0]) if cameras else np.array([0.0, 0.0, 1.0, 0.0])
    centre = np.median(xyz, axis=0)  # [3]
    radius = float(np.percentile(np.linalg.norm(xyz - centre, axis=1), 80))
    rounded = lambda v: [round(float(c), 6) for c in v]  # noqa: E731
    return {
        "rotation": rounded(q),
        "center": rounded(_rotate(q, centre)),
        "radius": round(radius, 6),
        "camera": rounded(_rotate(q, cameras[1])) if cameras else None,
    }


def viewer_page(sog_url: str, ply: Path | None, sparse_dir: Path | None = None) -> str:
    """The viewer page for a `.sog` at `sog_url` (relative to the page), framed on the splats of `ply`."""
    return VIEWER_HTML.replace("__SOG_URL__", sog_url).replace("__FRAMING__", json.dumps(framing(ply, sparse_dir)))


def find_engine(download: bool = True) -> Path:
    """The engine to serve: node_modules, the monitor's build-step copy, the user's cache, else fetched once
    from the npm registry and checked against the lockfile's integrity (`EngineMissing` offline)."""
    extra = []
    try:
        from spaceport_monitor.assets import engine_path

        extra.append(engine_path())
    except ImportError:
        pass
    return engine_file(extra, download)
