"""The fallback for lenses the renderers cannot take: undistort the photos to pinhole with COLMAP."""

from dataclasses import dataclass
from pathlib import Path

import structlog

from spaceport_trainer.cameras import lens_of
from spaceport_trainer.colmap import SparseModel, find_model_dir, read_sparse_model

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class PreparedScene:
    """The model and photos to train on, and how the lens is handled."""

    model: SparseModel
    images_dir: Path
    lens_handling: str  # "as-is" (pinhole or distorted photos) or "undistorted"


def needs_undistortion(model: SparseModel, force: bool) -> bool:
    """Undistort when a camera model is unsupported, or when asked to and any lens is distorted."""
    lenses = [lens_of(cam) for cam in model.cameras.values()]
    if any(lens is None for lens in lenses):
        return True
    return force and any(lens is not None and lens.distorted for lens in lenses)


def undistort(model_dir: Path, images_dir: Path, out_dir: Path, max_image_size: int = -1) -> tuple[Path, Path]:
    """Undistort every registered photo into `out_dir`; returns (model folder, images folder)."""
    import pycolmap

    out_dir.mkdir(parents=True, exist_ok=True)  # pycolmap creates only the last level
    options = pycolmap.UndistortCameraOptions()
    options.max_image_size = max_image_size
    pycolmap.undistort_images(str(out_dir), str(model_dir), str(images_dir), undistort_options=options)
    return out_dir / "sparse", out_dir / "images"


def prepare_scene(scene_dir: Path, images_dir: Path, work_dir: Path, force_undistort: bool) -> PreparedScene:
    """Read the model; undistort into `work_dir` first if the lens requires it."""
    model_dir = find_model_dir(scene_dir)
    model = read_sparse_model(model_dir)
    if not needs_undistortion(model, force_undistort):
        return PreparedScene(model, images_dir, "as-is")
    models = sorted({cam.model for cam in model.cameras.values()})
    log.info("undistorting_photos", camera_models=models, photos=len(model.images))
    new_model_dir, new_images = undistort(model_dir, images_dir, work_dir / "undistorted")
    return PreparedScene(read_sparse_model(new_model_dir), new_images, "undistorted")
