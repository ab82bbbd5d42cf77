"""Ground truth for the trainer's cameras: where the demo's true cameras see points, against where ours do.

`demo_reconstruction` renders a named demo capture and runs SfM on it. `reprojection_errors` takes points on
the surfaces each held-out or training view truly sees (from the demo's ray-cast depth), carries them into
the SfM frame (the similarity that aligns the estimated camera centres to the true ones), and projects them
with the cameras the trainer builds (`load_scene`: model reading, scaling to the training size, normalisation,
the lens). A wrong pose pairing, focal scaling, principal point, distortion sign, or portrait/landscape mix-up
moves those points by many pixels; correct cameras put them within SfM's own error, a fraction of a pixel.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from spaceport.geometry import Similarity
from spaceport.params import SfmParams
from spaceport.params.trainer import TrainParams
from spaceport_app.demo import CAPTURES, DemoScene, build_world, generate_scene, pose_errors, render_view


@dataclass(frozen=True)
class DemoReconstruction:
    """A generated capture and the sparse model SfM made of it."""

    scene: DemoScene
    sparse_dir: Path


def demo_reconstruction(
    root: Path, capture: str, profile: str = "fast", views: int | None = None, scale: float = 1.0, seed: int = 0
) -> DemoReconstruction:
    """Render `CAPTURES[capture]` (its images scaled by `scale`) under `root/scene` and reconstruct it with the
    SfM profile; it must pass its gate."""
    from spaceport_sfm.pipeline import reconstruct

    scene = generate_scene(root / "scene", views=views, seed=seed, capture=CAPTURES[capture].scaled(scale))
    params = SfmParams.preset(profile).model_copy(update={"retry_with_robust_profile": False})  # type: ignore[arg-type]
    report = reconstruct(scene.images_dir, root / "sfm", params)
    assert report.passed and report.sparse_dir is not None, report.message
    return DemoReconstruction(scene, report.sparse_dir)


def surface_points(scene: DemoScene, name: str, count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`count` world points that view `name` truly sees, and the pixel coordinates (top-left pixel centre at
    0.5) where it sees them: ([N, 3], [N, 2])."""
    cam, pose = scene.cameras[name], scene.poses[name]
    depth = render_view(build_world(scene.seed), cam, pose, supersample=1).depth  # [H, W]
    rays = cam.pixel_rays(1)  # [H, W, 3] unit, camera frame
    rows, cols = np.nonzero(np.isfinite(depth) & (depth < 20.0))
    pick = np.random.default_rng(seed).choice(len(rows), size=min(count, len(rows)), replace=False)
    r, c = rows[pick], cols[pick]
    in_camera = rays[r, c] * depth[r, c][:, None]
    world = (in_camera - pose.t) @ pose.R  # R^T (x - t), row-wise
    return world, np.stack([c + 0.5, r + 0.5], axis=1)


def _to_estimated(points: np.ndarray, align: Similarity) -> np.ndarray:
    """Points of the truth's frame in the SfM frame (`align` maps SfM into the truth)."""
    return (points - align.t) @ align.R / align.scale


def reprojection_errors(built: DemoReconstruction, params: TrainParams, points: int = 300) -> dict[str, np.ndarray]:
    """Per registered view: pixel distances (at the training size) between where the trainer's camera puts true
    surface points and where the true camera saw them."""
    from spaceport_splats.colmap import read_sparse_model
    from spaceport_splats.dataset import load_scene
    from spaceport_splats.projection import project

    model = read_sparse_model(built.sparse_dir)
    estimated = {im.name: (im.world_to_cam[:3, :3], im.world_to_cam[:3, 3]) for im in model.images}
    align = pose_errors(estimated, built.scene).alignment
    data = load_scene(
        model,
        built.scene.images_dir,
        params.data_factor,
        params.max_image_side,
        params.test_every,
        torch.device("cpu"),
    )
    errors: dict[str, np.ndarray] = {}
    for view in data.train + data.test:
        world, pixels = surface_points(built.scene, view.name, points)
        inside = data.transform.points_to_normalised(_to_estimated(world, align))
        n = len(inside)
        projected = project(
            torch.as_tensor(inside, dtype=torch.float32),
            torch.tensor([[1.0, 0.0, 0.0, 0.0]]).repeat(n, 1),
            torch.full((n, 3), 1e-4),
            torch.ones(n),
            view.camera,
        )
        ids = projected.ids.numpy()
        scale = view.camera.width / built.scene.cameras[view.name].width
        errors[view.name] = np.linalg.norm(projected.means2d.numpy() - pixels[ids] * scale, axis=1)
    return errors
