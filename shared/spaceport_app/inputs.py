"""What counts as an input file: photos and videos a job may start from."""

from pathlib import Path
from typing import Literal

from spaceport_splats.masks import MASKS_FOLDER

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png"})
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v"})

InputKind = Literal["photos", "video"]


class InputError(ValueError):
    """A photo folder or video that cannot start a job."""


def find_masks(photos: Path) -> Path | None:
    """The masks of a photo folder: `PHOTOS/masks/`, or COLMAP's layout `scene/masks/` beside `scene/images/`."""
    if not photos.is_dir():
        return None
    for candidate in (photos / MASKS_FOLDER, photos.parent / MASKS_FOLDER if photos.name == "images" else None):
        if candidate is not None and candidate.is_dir():
            return candidate
    return None


def collect_masks(photos: Path) -> list[tuple[str, Path]]:
    """The files of the photo folder's masks (`find_masks`), each with its name relative to the masks folder."""
    masks = find_masks(photos)
    if masks is None:
        return []
    files = sorted(p for p in masks.rglob("*") if p.is_file() and not p.name.startswith("."))
    return [(p.relative_to(masks).as_posix(), p) for p in files]


def collect_inputs(source: Path) -> tuple[InputKind, list[Path]]:
    """The photos under a folder (recursively, sorted), or a single video file; InputError when none."""
    if source.is_file():
        if source.suffix.lower() in VIDEO_SUFFIXES:
            return "video", [source]
        if source.suffix.lower() in IMAGE_SUFFIXES:
            raise InputError(f"{source} is a single photo: pass the folder that holds the photo set")
        raise InputError(f"{source} is neither a photo folder nor a video ({', '.join(sorted(VIDEO_SUFFIXES))})")
    if not source.is_dir():
        raise InputError(f"{source} does not exist")
    masks = source / MASKS_FOLDER
    files = sorted(
        p for p in source.rglob("*") if p.is_file() and not p.name.startswith(".") and not p.is_relative_to(masks)
    )
    photos = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
    videos = [p for p in files if p.suffix.lower() in VIDEO_SUFFIXES]
    if not photos and len(videos) == 1:
        return "video", videos
    if not photos:
        raise InputError(f"no photos (.jpg, .jpeg, .png) or video found in {source}")
    return "photos", photos
