"""Held-out scoring of a finished model: the trainer's test views, rendered and scored as at the end of training.

`heldout_names()` says which photos a scorer needs (every `test_every`-th registered image by name), so a
caller can fetch only those; `heldout_scorer()` loads them exactly as `train()` does (same split, image
size, lens handling, scene normalisation and device) and returns a `HeldoutScorer`, which takes splats in
the SfM world frame of the `.ply` and returns their mean held-out PSNR. The normalisation is fitted on every
registered image, as `train()` fits it when all photos are present, so the scores match its own.
"""

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import structlog
import torch

from spaceport.params.trainer import TrainParams
from spaceport_splats.colmap import ColmapError, read_sparse_model
from spaceport_splats.consistency import ViewCamera, check_same_cameras
from spaceport_splats.dataset import View, build_view, split_names
from spaceport_splats.evaluate import evaluate
from spaceport_splats.export import SplatArrays, from_world, to_splats
from spaceport_splats.normalize import SceneTransform, fit_transform
from spaceport_splats.render import pick_device
from spaceport_splats.sh import active_sh_degree, num_bases
from spaceport_splats.undistort import prepare_scene

log = structlog.get_logger(__name__)


def heldout_names(sparse_dir: Path, params: TrainParams) -> list[str]:
    """The photos the trainer held out for this model: every `test_every`-th registered image by name."""
    model = read_sparse_model(sparse_dir)
    _, test = split_names([im.name for im in model.images], params.test_every)
    return test


@dataclass(frozen=True)
class HeldoutScorer:
    """The held-out views over the trainer's normalised world; called with world-frame splats."""

    views: list[View]
    transform: SceneTransform
    sh_degree: int
    device: torch.device
    cpu_threads: int = 1

    def normalised(self, arrays: SplatArrays) -> SplatArrays:
        """World-frame splats in the frame the views are in, SH padded with zeros to `sh_degree`."""
        missing = num_bases(self.sh_degree) - 1 - arrays.shN.shape[1]
        if missing > 0:
            pad = np.zeros((len(arrays), missing, 3), np.float32)
            arrays = replace(arrays, shN=np.concatenate([arrays.shN, pad], axis=1))
        return from_world(arrays, self.transform)

    def __call__(self, arrays: SplatArrays) -> float:
        """Mean PSNR (dB) of `arrays` (SfM world frame, as in the `.ply`) over the held-out views."""
        splats = to_splats(self.normalised(arrays), self.device)
        before = torch.get_num_threads()
        if self.device.type == "cpu":
            torch.set_num_threads(max(self.cpu_threads, 1))
        try:
            result = evaluate(splats, self.views, self.sh_degree, step=0)
        finally:
            torch.set_num_threads(before)
        if result.psnr is None:
            raise ValueError("no held-out views to score")
        return result.psnr


def heldout_scorer(
    sparse_dir: Path,
    images_dir: Path,
    params: TrainParams,
    work_dir: Path,
    cpu_threads: int = 1,
    undistorted: bool | None = None,
    trained: list[ViewCamera] | None = None,
) -> HeldoutScorer:
    """Load the held-out photos of `images_dir` (the others need not be there) for a model trained with
    `params`; `work_dir` receives undistorted photos where the lens needs them. `undistorted` is what the
    trainer did (its `TrainMetrics.undistorted`: another host may have had another device); None decides as
    `train()` would here. `trained` are the held-out cameras of the trainer's report: the scorer refuses
    (`CameraMismatch`, naming the photo) to score with any other. Missing photos: `ColmapError`."""
    device = pick_device(params.device)
    handling = params.camera if undistorted is None else ("undistort" if undistorted else "original")
    scene = prepare_scene(sparse_dir, images_dir, work_dir, handling, on_gpu=device.type == "cuda")
    model = scene.model
    _, test = split_names([im.name for im in model.images], params.test_every)
    missing = [n for n in test if not (scene.images_dir / n).is_file()]
    if missing:
        raise ColmapError(f"{len(missing)}/{len(test)} held-out photos missing in {scene.images_dir}: {missing[0]}")
    transform = fit_transform([im.world_to_cam for im in model.images], model.points)
    held = set(test)
    views = [
        build_view(model, pose, scene.images_dir, params.data_factor, params.max_image_side, transform)
        for pose in model.images
        if pose.name in held
    ]
    views = [v for v in views if v.mask is None or bool(v.mask.any())]  # a fully masked view, as train() does
    if trained is not None:
        check_same_cameras(trained, [v.record(transform) for v in views])
    views = [v.to(device) for v in views]
    degree = active_sh_degree(params, params.steps)
    log.info(
        "heldout_scorer_ready",
        views=len(views),
        device=device.type,
        sh_degree=degree,
        lens_handling=scene.lens_handling,
    )
    return HeldoutScorer(views, transform, degree, device, cpu_threads)
