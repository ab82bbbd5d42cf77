"""Input validation before pycolmap: decodable JPEG/PNG, upright, big enough, no duplicates, no escapes."""

import hashlib
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import structlog
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

from spaceport.storage import UnsafeKey, safe_relpath
from spaceport_sfm.errors import SfmError
from spaceport_sfm.quality import downscaled_grey, measure
from spaceport_sfm.report import AcceptedImage, SkippedFile
from spaceport_splats.masks import MASKS_FOLDER

log = structlog.get_logger(__name__)

IMAGE_FORMATS = frozenset({"JPEG", "MPO", "PNG"})
UNREAD_SUFFIXES = frozenset({".heic", ".heif", ".avif", ".dng", ".cr2", ".cr3", ".nef", ".arw", ".raf", ".orf"})
"""Phone and camera formats Pillow does not decode here: named, so the user knows to convert them."""
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".3gp"})
MAX_MEGAPIXELS = 100.0
MAX_ARCHIVE_BYTES = 20 * 1024**3
NEAR_DUPLICATE_GREY_LEVELS = 1.0
"""Two images of one size whose 32x32 grey thumbnails differ by less than this (mean of 255) are one."""
EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True)
class InputScan:
    """What validation made of an input folder: the images SfM will see (in `images_dir`), and the rest."""

    images_dir: Path
    accepted: tuple[AcceptedImage, ...]
    skipped: tuple[SkippedFile, ...]
    videos: tuple[Path, ...]

    @property
    def changed(self) -> bool:
        """Whether any image in `images_dir` differs from its original file."""
        return any(image.rewritten for image in self.accepted)


@dataclass
class _Candidate:
    name: str
    path: Path


@dataclass
class _Seen:
    digests: dict[str, str]
    thumbnails: dict[tuple[int, int], list[tuple[str, NDArray[np.float32]]]]


def scan_inputs(source: Path, images_dir: Path, unpack_dir: Path, min_side_px: int) -> InputScan:
    """Validate every file under `source`; accepted images appear in `images_dir` under their SfM names."""
    for stale in (images_dir, unpack_dir):
        shutil.rmtree(stale, ignore_errors=True)
    candidates = _candidates(source, unpack_dir)
    images_dir.mkdir(parents=True)
    accepted: list[AcceptedImage] = []
    skipped: list[SkippedFile] = []
    videos: list[Path] = []
    seen = _Seen({}, {})
    for candidate in candidates:
        if Path(candidate.name).suffix.lower() in VIDEO_SUFFIXES:
            videos.append(candidate.path)
            continue
        outcome = _admit(candidate, images_dir, min_side_px, seen)
        if isinstance(outcome, AcceptedImage):
            accepted.append(outcome)
        else:
            skipped.append(outcome)
    log.info("inputs_scanned", accepted=len(accepted), skipped=len(skipped), videos=len(videos))
    return InputScan(images_dir, tuple(accepted), tuple(skipped), tuple(videos))


def _candidates(source: Path, unpack_dir: Path) -> list[_Candidate]:
    """Every file under `source` (archives unpacked), named by its path relative to `source`."""
    root = source.resolve()
    found: list[_Candidate] = []
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        name = path.relative_to(source).as_posix()
        if name.startswith(MASKS_FOLDER + "/"):
            continue  # the photos' masks (spaceport_sfm.masks), not photos
        if not path.resolve().is_relative_to(root):
            raise SfmError("unsafe_input", f"{name!r} links outside the job's folder")
        if path.suffix.lower() == ".zip":
            found.extend(_unpack(path, unpack_dir / name))
        else:
            found.append(_Candidate(name, path))
    return found


def _unpack(archive: Path, target: Path) -> list[_Candidate]:
    """Extract a zip archive whose every member stays inside `target`; refuse it whole otherwise."""
    try:
        with zipfile.ZipFile(archive) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
            for member in members:
                try:
                    safe_relpath(member.filename)
                except UnsafeKey as exc:
                    raise SfmError("unsafe_input", f"archive {archive.name}: {exc}") from exc
            if sum(m.file_size for m in members) > MAX_ARCHIVE_BYTES:
                raise SfmError("unsafe_input", f"archive {archive.name} unpacks to more than 20 GiB")
            zf.extractall(target, members)
    except zipfile.BadZipFile as exc:
        raise SfmError("unsafe_input", f"archive {archive.name} is not a valid zip file: {exc}") from exc
    prefix = archive.stem
    return [_Candidate(f"{prefix}/{m.filename}", target / m.filename) for m in members]


def _admit(candidate: _Candidate, images_dir: Path, min_side_px: int, seen: _Seen) -> AcceptedImage | SkippedFile:
    name = candidate.name
    suffix = candidate.path.suffix.lower()
    if suffix in UNREAD_SUFFIXES:
        return SkippedFile(
            name=name, reason="unsupported_format", detail=f"{suffix[1:].upper()} is not read; convert it to JPEG"
        )
    try:
        with Image.open(candidate.path) as image:
            if image.format not in IMAGE_FORMATS:
                return SkippedFile(
                    name=name,
                    reason="unsupported_format",
                    detail=f"{image.format} is not read; convert it to JPEG or PNG",
                )
            if image.width * image.height > MAX_MEGAPIXELS * 1e6:
                return SkippedFile(
                    name=name,
                    reason="too_large",
                    detail=f"{image.width}x{image.height} is over {MAX_MEGAPIXELS:.0f} MP",
                )
            image.load()
            upright, rotated = _upright(image)
    except UnidentifiedImageError:
        return SkippedFile(name=name, reason="not_an_image", detail="not a readable image file")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        return SkippedFile(name=name, reason="corrupt", detail=f"cannot be decoded: {exc}")
    width, height = upright.size
    if min(width, height) < min_side_px:
        return SkippedFile(
            name=name,
            reason="too_small",
            detail=f"{width}x{height} px (need at least {min_side_px} px on the short side)",
        )
    grey = downscaled_grey(np.asarray(upright.convert("L")))
    duplicate_of = _duplicate_of(candidate, grey, (width, height), seen)
    if duplicate_of is not None:
        return SkippedFile(name=name, reason="duplicate", detail=f"same photo as {duplicate_of}")
    target = images_dir / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if rotated:
        _save_upright(upright, image_exif=upright.getexif(), target=target)
    else:
        os.symlink(candidate.path.resolve(), target)
    return AcceptedImage(name=name, width=width, height=height, quality=measure(grey), rewritten=rotated)


def _upright(image: Image.Image) -> tuple[Image.Image, bool]:
    """The image turned as its EXIF orientation says, and whether it had to be turned."""
    if image.getexif().get(EXIF_ORIENTATION, 1) in (0, 1):
        return image, False
    turned = ImageOps.exif_transpose(image)
    return (turned, True) if turned is not None else (image, False)


def _save_upright(image: Image.Image, image_exif: Image.Exif, target: Path) -> None:
    """Write a turned image as JPEG, keeping its EXIF (focal length) without the orientation tag."""
    image_exif.pop(EXIF_ORIENTATION, None)
    rgb = image.convert("RGB") if image.mode not in ("RGB", "L") else image
    if target.suffix.lower() == ".png":
        rgb.save(target, exif=image_exif.tobytes())
    else:
        rgb.save(target, format="JPEG", quality=95, exif=image_exif.tobytes())


def _duplicate_of(candidate: _Candidate, grey: NDArray[np.uint8], size: tuple[int, int], seen: _Seen) -> str | None:
    digest = hashlib.sha256(candidate.path.read_bytes()).hexdigest()
    if digest in seen.digests:
        return seen.digests[digest]
    seen.digests[digest] = candidate.name
    thumb = cv2.resize(grey, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    same_size = seen.thumbnails.setdefault(size, [])
    for other, other_thumb in same_size:
        if float(np.abs(thumb - other_thumb).mean()) < NEAR_DUPLICATE_GREY_LEVELS:
            return other
    same_size.append((candidate.name, thumb))
    return None
