"""Training views: photos decoded once, downscaled, held in a budgeted `PhotoCache`; the held-out split."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import structlog
import torch
from PIL import Image
from torch import Tensor

from spaceport_splats.cameras import Camera, Lens, intrinsics_matrix, lens_of, make_camera
from spaceport_splats.colmap import CameraIntrinsics, ColmapError, ImagePose, SparseModel
from spaceport_splats.consistency import ViewCamera, check_photo, check_scale, view_camera
from spaceport_splats.masks import MaskError, view_mask
from spaceport_splats.normalize import SceneTransform, fit_transform
from spaceport_splats.photo_cache import CacheBudget, Photo, PhotoCache

log = structlog.get_logger(__name__)
_BATCH = 32  # photos decoded at once while loading


class PhotoSource(Protocol):
    """Where a view's photo is held: one photo kept as it is, or a budgeted `PhotoCache`."""

    def get(self, index: int) -> Photo: ...

    def prefetch(self, index: int) -> None: ...


@dataclass(frozen=True)
class Resident:
    """A photo source holding one photo as it is."""

    photo: Photo

    def get(self, index: int) -> Photo:
        """The photo (any index)."""
        return self.photo

    def prefetch(self, index: int) -> None:
        """Nothing to fetch."""


@dataclass(frozen=True)
class View:
    """One photo and its camera, over the normalised world; the photo is read from `source` when needed."""

    name: str
    camera: Camera
    source: PhotoSource
    index: int = 0

    def photo(self) -> Photo:
        """The photo and its mask, on the training device."""
        return self.source.get(self.index)

    def prefetch(self) -> None:
        """Start bringing the photo to the device (the next step's view)."""
        self.source.prefetch(self.index)

    @property
    def image(self) -> Tensor:
        """The photo."""  # [H, W, 3] uint8
        return self.photo().image

    @property
    def mask(self) -> Tensor | None:
        """True = a pixel to use; None = every pixel."""  # [H, W] bool
        return self.photo().mask

    def to(self, device: torch.device) -> "View":
        """This view with its camera, photo and mask held on `device`."""
        return View(self.name, self.camera.to(device), Resident(self.photo().to(device)))

    def target(self) -> Tensor:
        """The photo as float in [0, 1]."""  # [H, W, 3]
        return self.photo().target()

    def record(self, transform: SceneTransform) -> ViewCamera:
        """This view's camera as a record in the SfM world frame (what a later scorer must match)."""
        cam = self.camera
        return view_camera(
            self.name,
            cam.K.double().cpu().numpy(),
            (cam.width, cam.height),
            cam.viewmat.double().cpu().numpy(),
            cam.lens.describe(),
            transform,
        )


@dataclass(frozen=True)
class SceneData:
    """Everything the training loop reads: views split by name, SfM points over the normalised world."""

    train: list[View]
    test: list[View]
    points: Tensor  # [P, 3] float32, normalised world, on the device
    colors: Tensor  # [P, 3] float32 in [0, 1]
    transform: SceneTransform
    photos: PhotoCache  # every view's photo


def target_size(width: int, height: int, factor: int, max_side: int | None) -> tuple[int, int]:
    """Image size after dividing by `factor` (rounded, as gsplat does) and capping the long side."""
    w, h = round(width / factor), round(height / factor)
    if max_side is not None and max(w, h) > max_side:
        s = max_side / max(w, h)
        w, h = round(w * s), round(h * s)
    return max(w, 1), max(h, 1)


def load_image(path: Path, size: tuple[int, int]) -> np.ndarray:
    """An RGB photo resized (bicubic) to `size`."""  # [H, W, 3] uint8
    with Image.open(path) as im:
        rgb = im.convert("RGB")
        if rgb.size != size:
            rgb = rgb.resize(size, Image.Resampling.BICUBIC)
        return np.asarray(rgb, dtype=np.uint8).copy()


def split_names(names: list[str], test_every: int) -> tuple[list[str], list[str]]:
    """Every `test_every`-th name (sorted, from the first) is held out: (train, test)."""
    ordered = sorted(names)
    test = [n for i, n in enumerate(ordered) if i % test_every == 0]
    train = [n for i, n in enumerate(ordered) if i % test_every != 0]
    return train, test


def _lens(cam: CameraIntrinsics, allow_distortion: bool) -> Lens:
    lens = lens_of(cam)
    if lens is None or (lens.distorted and not allow_distortion):
        raise ColmapError(f"camera model {cam.model} needs undistorting first")
    return lens


def build_view(
    model: SparseModel,
    pose: ImagePose,
    images_dir: Path,
    factor: int,
    max_side: int | None,
    transform: SceneTransform,
    allow_distortion: bool = True,
) -> View:
    """One photo and its camera over the normalised world (CPU tensors); the photo checked against its camera."""
    cam = model.cameras[pose.camera_id]
    size = target_size(cam.width, cam.height, factor, max_side)
    with Image.open(images_dir / pose.name) as header:
        check_photo(pose.name, header.size, cam)
    check_scale(pose.name, cam, size)
    pixels = load_image(images_dir / pose.name, size)
    mask = view_mask(images_dir, pose.name, (cam.width, cam.height), size)
    viewmat = transform.viewmat_to_normalised(pose.world_to_cam)
    camera = make_camera(viewmat, intrinsics_matrix(cam, *size), *size, _lens(cam, allow_distortion))
    photo = Photo(torch.from_numpy(pixels), None if mask is None else torch.from_numpy(mask))
    return View(pose.name, camera, Resident(photo))


def hidden_views(masks: dict[str, bool | None]) -> set[str]:
    """The views whose mask hides every pixel (left out), from each view's mask state (None: no mask, True: every
    pixel hidden); warns about photos left unmasked beside masked ones."""
    masked = [name for name, hidden in masks.items() if hidden is not None]
    if not masked:
        return set()
    unmasked = [name for name, hidden in masks.items() if hidden is None]
    if unmasked:
        log.warning("photos_without_masks", count=len(unmasked), first=unmasked[:5], note="used whole")
    hidden = [name for name in masked if masks[name]]
    if hidden:
        log.warning("photos_fully_masked", count=len(hidden), first=hidden[:5], note="left out")
    log.info("masks_loaded", masked=len(masked), unmasked=len(unmasked))
    return set(hidden)


def _cached(view: View, photos: PhotoCache) -> tuple[View, bool | None]:
    """`view` with its photo moved into `photos`, and its mask state (None: no mask, True: hides every pixel)."""
    photo = view.photo()
    mask = None if photo.mask is None else photo.mask.numpy()
    index = photos.add(photo.image.numpy(), mask)
    return View(view.name, view.camera, photos, index), None if mask is None else not bool(mask.any())


def load_scene(
    model: SparseModel,
    images_dir: Path,
    factor: int,
    max_side: int | None,
    test_every: int,
    device: torch.device,
    allow_distortion: bool = True,
    photos: PhotoCache | None = None,
) -> SceneData:
    """Decode every registered photo once (threads) into `photos` (default: every photo on the device), build
    cameras, normalise and split. Photos are decoded a batch at a time, so host memory holds one batch at most
    beside the cache."""
    present = [im for im in model.images if (images_dir / im.name).is_file()]
    if len(present) < len(model.images):
        log.warning("images_missing", missing=len(model.images) - len(present), registered=len(model.images))
    if len(present) < 2:
        raise ColmapError(f"only {len(present)} of {len(model.images)} registered photos found in {images_dir}")
    transform = fit_transform([im.world_to_cam for im in present], model.points)
    photos = photos if photos is not None else PhotoCache(device, CacheBudget(device_bytes=2**62))

    def build(pose: ImagePose) -> View:
        view = build_view(model, pose, images_dir, factor, max_side, transform, allow_distortion)
        return View(view.name, view.camera.to(device), view.source)

    views: list[View] = []
    masks: dict[str, bool | None] = {}
    with ThreadPoolExecutor(max_workers=8) as pool:
        for start in range(0, len(present), _BATCH):
            for built in pool.map(build, present[start : start + _BATCH]):
                view, masks[built.name] = _cached(built, photos)
                views.append(view)
    train_names, _ = split_names([v.name for v in views], test_every)
    train_set, hidden = set(train_names), hidden_views(masks)
    if train_set <= hidden:
        raise MaskError(f"the masks hide every pixel of all {len(train_set)} training photos")
    points = torch.as_tensor(transform.points_to_normalised(model.points), dtype=torch.float32, device=device)
    colors = torch.as_tensor(model.colors, dtype=torch.float32, device=device) / 255.0
    log.info("photos_cached", **{f"{tier}_photos": n for tier, n in photos.stats.photos.items()})
    return SceneData(
        train=[v for v in views if v.name in train_set and v.name not in hidden],
        test=[v for v in views if v.name not in train_set and v.name not in hidden],
        points=points,
        colors=colors,
        transform=transform,
        photos=photos,
    )
