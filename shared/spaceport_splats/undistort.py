"""When and how the photos are undistorted to pinhole (COLMAP) before training.

On a GPU the default is to undistort: gsplat's 3DGUT path (the alternative for distorted photos) trains
splats that the classic rasterizer, which web viewers use, draws very differently: on fox a 3DGUT-trained model
scored 31.6 dB on the undistorted held-out photos through 3DGUT and 25.0 dB through the classic rasterizer
(benchmarks/trainer/RESULTS.md). Fisheye lenses keep 3DGUT, which sees their whole field of view.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from spaceport.params.trainer import CameraHandling
from spaceport_splats.cameras import lens_of
from spaceport_splats.colmap import LOG_FOLDER, SparseModel, colmap_log, find_model_dir, read_sparse_model
from spaceport_splats.mask_undistort import undistort_masks

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class PreparedScene:
    """The model and photos to train on, and how the lens is handled."""

    model: SparseModel
    images_dir: Path
    lens_handling: str  # "as-is" (pinhole or distorted photos) or "undistorted"


def needs_undistortion(model: SparseModel, handling: CameraHandling, on_gpu: bool) -> bool:
    """Whether to undistort: always for lenses the renderers cannot take, never without distortion; else as
    `handling` says, `auto` undistorting on a GPU unless a lens is fisheye."""
    lenses = [lens_of(cam) for cam in model.cameras.values()]
    if any(lens is None for lens in lenses):
        return True
    distorted = [lens for lens in lenses if lens is not None and lens.distorted]
    if not distorted or handling == "original":
        return False
    if handling == "undistort":
        return True
    return on_gpu and all(lens.projection == "pinhole" for lens in distorted)


def undistort(
    model_dir: Path, images_dir: Path, out_dir: Path, only: Sequence[str] = (), max_image_size: int = -1
) -> tuple[Path, Path]:
    """Undistort the registered photos (those named in `only`, where given; the model keeps every image) into
    `out_dir` as JPEG at quality 100; returns (model folder, images folder)."""
    import pycolmap

    out_dir.mkdir(parents=True, exist_ok=True)  # pycolmap creates only the last level
    options = pycolmap.UndistortCameraOptions()
    options.max_image_size = max_image_size
    pycolmap.undistort_images(
        str(out_dir), str(model_dir), str(images_dir), list(only), undistort_options=options, jpeg_quality=100
    )
    return out_dir / "sparse", out_dir / "images"


def prepare_scene(
    scene_dir: Path, images_dir: Path, work_dir: Path, handling: CameraHandling, on_gpu: bool
) -> PreparedScene:
    """Read the model; undistort into `work_dir` first where `needs_undistortion` says so: the registered
    photos found in `images_dir` (a held-out scorer has only the held-out ones there). COLMAP's own log lines go
    to `work_dir/logs/`, not to the console."""
    with colmap_log(work_dir / LOG_FOLDER):
        model_dir = find_model_dir(scene_dir)
        model = read_sparse_model(model_dir)
        if not needs_undistortion(model, handling, on_gpu):
            return PreparedScene(model, images_dir, "as-is")
        models = sorted({cam.model for cam in model.cameras.values()})
        present = [im.name for im in model.images if (images_dir / im.name).is_file()]
        log.info("undistorting_photos", camera_models=models, photos=len(present), registered=len(model.images))
        new_model_dir, new_images = undistort(model_dir, images_dir, work_dir / "undistorted", present)
        undistort_masks(model_dir, images_dir, new_model_dir, new_images)
        return PreparedScene(read_sparse_model(new_model_dir), new_images, "undistorted")
