"""A small synthetic scene for trainer tests: a coloured sphere of splats seen by an orbit of cameras.

Ground-truth photos are rendered with the CPU renderer; the COLMAP model (text format) carries noisy,
grey SfM points, so training must learn colours and geometry to score well on held-out views.
"""

import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from spaceport.params.trainer import DensifyParams, TrainParams
from spaceport_splats.cameras import Lens, make_camera
from spaceport_splats.render import render_torch
from spaceport_splats.sh import rgb_to_sh


def look_at(eye: np.ndarray) -> np.ndarray:
    """World-to-camera [4, 4] (OpenCV axes) of a camera at `eye` looking at the origin, world z up."""
    forward = -eye / np.linalg.norm(eye)
    right = np.cross(forward, np.array([0.0, 0.0, 1.0]))
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    rot = np.stack([right, down, forward])  # rows: camera axes in world
    w2c = np.eye(4)
    w2c[:3, :3] = rot
    w2c[:3, 3] = -rot @ eye
    return w2c


def true_splats(count: int, rng: np.random.Generator) -> dict[str, torch.Tensor]:
    """Splats on a sphere of radius 0.8, coloured by a smooth pattern."""
    pts = rng.normal(size=(count, 3))
    pts = 0.8 * pts / np.linalg.norm(pts, axis=1, keepdims=True)
    rgb = 0.5 + 0.4 * np.stack([np.sin(4 * pts[:, 0]), np.sin(4 * pts[:, 1] + 1), np.cos(4 * pts[:, 2])], 1)
    t = torch.as_tensor
    return {
        "means": t(pts, dtype=torch.float32),
        "scales": torch.full((count, 3), math.log(0.06)),
        "quats": torch.tensor([[1.0, 0.0, 0.0, 0.0]]).repeat(count, 1),
        "opacities": torch.full((count,), 2.0),
        "sh0": rgb_to_sh(t(rgb, dtype=torch.float32))[:, None, :],
        "shN": torch.zeros((count, 0, 3)),
    }


def write_synthetic_scene(
    root: Path,
    views: int = 12,
    width: int = 64,
    height: int = 48,
    points: int = 1200,
    k1: float = 0.02,
    seed: int = 0,
) -> Path:
    """Write `root/sparse/0` (text COLMAP model, SIMPLE_RADIAL) and `root/images/*.png`; returns `root`."""
    rng = np.random.default_rng(seed)
    truth = true_splats(2000, rng)
    f, cx, cy = 0.9 * width, width / 2, height / 2
    K = np.array([[f, 0, cx], [0, f, cy], [0, 0, 1.0]])
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "sparse" / "0").mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(views):
        angle = 2 * math.pi * i / views
        eye = np.array([3 * math.cos(angle), 3 * math.sin(angle), 0.8 * math.sin(3 * angle)])
        w2c = look_at(eye)
        cam = make_camera(w2c, K, width, height, Lens("pinhole", (k1, 0, 0, 0, 0, 0)))
        with torch.no_grad():
            image, _, _ = render_torch(truth, cam, 0)
        pixels = (image.clamp(0, 1).numpy() * 255 + 0.5).astype(np.uint8)
        Image.fromarray(pixels).save(root / "images" / f"{i:04d}.png")
        q = rotmat_to_quat(w2c[:3, :3])
        t = w2c[:3, 3]
        lines.append(f"{i + 1} {q[0]} {q[1]} {q[2]} {q[3]} {t[0]} {t[1]} {t[2]} 1 {i:04d}.png\n\n")
    model = root / "sparse" / "0"
    (model / "cameras.txt").write_text(f"1 SIMPLE_RADIAL {width} {height} {f} {cx} {cy} {k1}\n")
    (model / "images.txt").write_text("".join(lines))
    write_points(model / "points3D.txt", truth["means"].numpy()[:points] + rng.normal(0, 0.02, (points, 3)))
    return root


def write_points(path: Path, xyz: np.ndarray) -> None:
    """COLMAP text points, all mid-grey."""
    path.write_text("".join(f"{i + 1} {p[0]} {p[1]} {p[2]} 128 128 128 0.5\n" for i, p in enumerate(xyz)))


def rotmat_to_quat(rot: np.ndarray) -> np.ndarray:
    """(w, x, y, z) of a rotation matrix."""
    w = math.sqrt(max(0.0, 1 + rot[0, 0] + rot[1, 1] + rot[2, 2])) / 2
    x = math.copysign(math.sqrt(max(0.0, 1 + rot[0, 0] - rot[1, 1] - rot[2, 2])) / 2, rot[2, 1] - rot[1, 2])
    y = math.copysign(math.sqrt(max(0.0, 1 - rot[0, 0] + rot[1, 1] - rot[2, 2])) / 2, rot[0, 2] - rot[2, 0])
    z = math.copysign(math.sqrt(max(0.0, 1 - rot[0, 0] - rot[1, 1] + rot[2, 2])) / 2, rot[1, 0] - rot[0, 1])
    return np.array([w, x, y, z])


def short_cpu_run() -> TrainParams:
    """300 CPU steps on the synthetic scene (MCMC, SH degree 1, cap 3000), evaluated at step 1 and at the end."""
    return TrainParams(
        preset="preview",
        steps=300,
        data_factor=1,
        sh_degree=1,
        sh_degree_interval=100,
        max_gaussians=3000,
        densify=DensifyParams(refine_start=100, refine_every=50),
        eval_steps=(1,),
        checkpoint_every=10_000,
        log_every=100,
        preview_views=1,
        seed=0,
    )
