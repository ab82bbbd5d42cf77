"""Test inputs for the SfM service: downscaled real photos, synthetic scenes, videos and broken files."""

import shutil
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from spaceport.events import ImagesReady, ImagesReadyData
from spaceport.params import JobOptions, SfmParams
from spaceport.settings import Settings
from spaceport.storage import LocalStore
from spaceport_sfm.evaluation import CameraPose, poses_of


def downscale(source: Path, target: Path, names: list[str], side: int) -> Path:
    """Copies of `names` from `source`, at most `side` px on their longest side, EXIF kept."""
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        with Image.open(source / name) as image:
            exif = image.info.get("exif", b"")
            image.thumbnail((side, side))
            image.save(target / name, quality=92, exif=exif)
    return target


def synthetic_scene(target: Path, frames: int = 10, points: int = 100, seed: int = 0) -> list[CameraPose]:
    """Render a pycolmap synthetic scene (textured point patches) to PNGs; returns the true poses."""
    import pycolmap

    options = pycolmap.SyntheticDatasetOptions(
        num_rigs=1,
        num_cameras_per_rig=1,
        num_frames_per_rig=frames,
        num_points3D=points,
        camera_width=1024,
        camera_height=768,
        camera_params=[1280.0, 512.0, 384.0, 0.0],
    )
    pycolmap.set_random_seed(seed)
    truth = pycolmap.synthesize_dataset(options)
    target.mkdir(parents=True, exist_ok=True)
    pycolmap.synthesize_images(pycolmap.SyntheticImageOptions(), truth, target)
    return poses_of(truth)


def write_video(frames: list[Path], target: Path, size: tuple[int, int], blurred_every: int = 0) -> Path:
    """An mp4 of `frames` (each shown twice, so selection has a choice), some followed by a blurred copy."""
    writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, size)
    for index, path in enumerate(frames):
        frame = cv2.resize(cv2.imread(str(path)), size, interpolation=cv2.INTER_AREA)
        writer.write(frame)
        writer.write(frame)
        if blurred_every and index % blurred_every == 0:
            writer.write(cv2.GaussianBlur(frame, (0, 0), 6))
    writer.release()
    return target


def truncated_copy(source: Path, target: Path, keep: float = 0.3) -> Path:
    """A JPEG cut short, as an interrupted upload leaves it."""
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * keep)])
    return target


def tiny_image(target: Path, side: int = 1) -> Path:
    """A `side` x `side` JPEG or PNG (by suffix)."""
    Image.new("RGB", (side, side), (128, 64, 32)).save(target)
    return target


def upload(store: LocalStore, job_id: str, folder: Path) -> str:
    """Put a folder's files where the CLI would (`jobs/{job}/images/`); returns the folder URI."""
    prefix = f"jobs/{job_id}/images/"
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        store.put_file(prefix + path.relative_to(folder).as_posix(), path)
    return store.uri(prefix)


def images_ready(
    job_id: str, images_uri: str, params: SfmParams, count: int = 0, input_kind: str = "photos"
) -> ImagesReady:
    """The event that starts a job."""
    return ImagesReady(
        source="client",
        job_id=job_id,
        data=ImagesReadyData(
            images_uri=images_uri,
            image_count=count,
            input_kind=input_kind,
            options=JobOptions(sfm=params),
        ),
    )


def copy_tree(source: Path, target: Path) -> Path:
    """A writable copy of a folder."""
    shutil.copytree(source, target, dirs_exist_ok=True)
    return target


def sfm_settings(tmp_path: Path) -> Settings:
    """Settings for handler tests: two threads, scratch in tmp_path."""
    return Settings(work_dir=tmp_path / "work", threads=2, storage_url=f"file://{tmp_path}/store")


def noise_image(target: Path, size: tuple[int, int], seed: int) -> Path:
    """A random-texture image: plenty of features, matching nothing else."""
    rng = np.random.default_rng(seed)
    pixels = cv2.GaussianBlur(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8), (0, 0), 1.5)
    Image.fromarray(pixels).save(target, quality=90)
    return target
