"""Training photos under a memory budget: on the device first, then in host memory, then on disk.

Photos are stored as they are trained on (uint8 RGB, an optional bool mask). Each photo is placed once, in the
order it is added, in the first tier with room left (a fixed tiering: training visits every photo once per epoch
in a random order, so no eviction policy would keep more of them hot than a fixed split does):

- `device`: held on the training device; read with no copy. On CPU the device is host memory.
- `host`: held in host memory, pinned on CUDA so its copy to the device is asynchronous.
- `disk`: a uint8 `.npy` file per photo (and one per mask) in the cache's folder, read through a memmap.

A photo from `host` or `disk` is copied to the device into a small LRU of `staging` slots; `prefetch(index)`
starts that copy for the next step's photo (disk reads in a background thread), so the loop rarely waits.
"""

import shutil
import tempfile
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import structlog
import torch
from torch import Tensor

log = structlog.get_logger(__name__)

Tier = Literal["device", "host", "disk"]
TIERS: tuple[Tier, ...] = ("device", "host", "disk")


@dataclass(frozen=True)
class Photo:
    """One training photo and its mask, as the loss reads them."""

    image: Tensor  # [H, W, 3] uint8
    mask: Tensor | None = None  # [H, W] bool, True = a pixel to use; None = every pixel

    @property
    def nbytes(self) -> int:
        """Bytes held: pixels plus mask."""
        return self.image.nbytes + (0 if self.mask is None else self.mask.nbytes)

    def to(self, device: torch.device, non_blocking: bool = False) -> "Photo":
        """This photo on `device`."""
        mask = None if self.mask is None else self.mask.to(device, non_blocking=non_blocking)
        return Photo(self.image.to(device, non_blocking=non_blocking), mask)

    def pinned(self) -> "Photo":
        """This photo in page-locked host memory (CUDA copies from it run asynchronously)."""
        return Photo(self.image.pin_memory(), None if self.mask is None else self.mask.pin_memory())

    def target(self) -> Tensor:
        """The photo as float in [0, 1]."""  # [H, W, 3]
        return self.image.float() / 255.0


@dataclass(frozen=True)
class CacheBudget:
    """Bytes each tier may hold; what fits in neither goes to disk."""

    device_bytes: int
    host_bytes: int = 0
    staging: int = 4  # device slots for photos copied in from `host` or `disk`


@dataclass
class CacheStats:
    """What the cache holds and how often it had to fetch."""

    photos: dict[str, int]  # tier -> photos held there
    bytes: dict[str, int]  # tier -> bytes held there
    hits: int = 0  # reads served from the device tier or the staging slots
    fetches: int = 0  # photos copied to the device from host or disk
    waits: int = 0  # fetches the caller had to wait for (not prefetched)


U8 = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]


class PhotoCache:
    """Photos by index, each in one tier; `get()` returns it on the device."""

    def __init__(self, device: torch.device, budget: CacheBudget, folder: Path | None = None) -> None:
        self.device, self.budget = device, budget
        self._own_folder = folder is None
        self._folder = folder
        self._tiers: list[Tier] = []
        self._held: dict[int, Photo] = {}  # device and host tiers
        self._staged: OrderedDict[int, Photo] = OrderedDict()
        self._pending: dict[int, Future[Photo]] = {}
        self._reader: ThreadPoolExecutor | None = None
        self.stats = CacheStats(photos=dict.fromkeys(TIERS, 0), bytes=dict.fromkeys(TIERS, 0))

    @property
    def folder(self) -> Path:
        """Where the disk tier's files are (a temporary folder made on first use when none was given)."""
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="spaceport-photos-"))
        return self._folder

    def __len__(self) -> int:
        return len(self._tiers)

    def tier(self, index: int) -> Tier:
        """Where photo `index` is held."""
        return self._tiers[index]

    def add(self, image: U8, mask: Mask | None = None) -> int:
        """Place a photo ([H, W, 3] uint8, optional [H, W] bool mask) in the first tier with room; its index."""
        photo = Photo(torch.from_numpy(np.ascontiguousarray(image)), None if mask is None else torch.from_numpy(mask))
        index, size = len(self._tiers), photo.nbytes
        tier = self._place(size)
        if tier == "device":
            self._held[index] = photo.to(self.device)
        elif tier == "host":
            self._held[index] = photo.pinned() if self.device.type == "cuda" else photo
        else:
            self.folder.mkdir(parents=True, exist_ok=True)
            np.save(self._path(index), np.ascontiguousarray(image))
            if mask is not None:
                np.save(self._path(index, "mask"), mask)
        self._tiers.append(tier)
        self.stats.photos[tier] += 1
        self.stats.bytes[tier] += size
        return index

    def _place(self, size: int) -> Tier:
        if self.stats.bytes["device"] + size <= self.budget.device_bytes:
            return "device"
        if self.stats.bytes["host"] + size <= self.budget.host_bytes:
            return "host"
        return "disk"

    def _path(self, index: int, what: str = "image") -> Path:
        return self.folder / f"{index:06d}.{what}.npy"

    def get(self, index: int) -> Photo:
        """Photo `index` on the device."""
        tier = self._tiers[index]
        if tier == "device" or (tier == "host" and self.device.type == "cpu"):
            self.stats.hits += 1
            return self._held[index]
        staged = self._staged.get(index)
        if staged is not None:
            self._staged.move_to_end(index)
            self.stats.hits += 1
            return staged
        pending = self._pending.pop(index, None)
        if pending is None:
            self.stats.waits += 1
            photo = self._fetch(index)
        else:
            photo = pending.result().to(self.device, non_blocking=True)
        return self._stage(index, photo)

    def prefetch(self, index: int) -> None:
        """Start bringing photo `index` to the device (no-op when it is there or on its way)."""
        tier = self._tiers[index]
        if tier == "device" or index in self._staged or index in self._pending:
            return
        if tier == "host":
            if self.device.type != "cpu":
                self._stage(index, self._held[index].to(self.device, non_blocking=True))
            return
        if self._reader is None:
            self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="photo-cache")
        self._pending[index] = self._reader.submit(self._read, index)

    def _fetch(self, index: int) -> Photo:
        """Photo `index` copied to the device now (host or disk tier)."""
        held = self._held.get(index)
        source = held if held is not None else self._read(index)
        return source.to(self.device, non_blocking=self.device.type == "cuda")

    def _read(self, index: int) -> Photo:
        """Photo `index` from its `.npy` files, in (pinned on CUDA) host memory."""
        image = torch.from_numpy(np.array(np.load(self._path(index), mmap_mode="r")))
        mask_path = self._path(index, "mask")
        mask = torch.from_numpy(np.array(np.load(mask_path, mmap_mode="r"))) if mask_path.is_file() else None
        photo = Photo(image, mask)
        return photo.pinned() if self.device.type == "cuda" else photo

    def _stage(self, index: int, photo: Photo) -> Photo:
        """Keep `photo` in a staging slot, evicting the least recently used beyond `budget.staging`."""
        self.stats.fetches += 1
        self._staged[index] = photo
        self._staged.move_to_end(index)
        while len(self._staged) > self.budget.staging:
            self._staged.popitem(last=False)
        return photo

    def staged(self) -> list[int]:
        """Indices in the staging slots, least recently used first."""
        return list(self._staged)

    def close(self) -> None:
        """Drop every photo and, when the cache made its folder itself, the folder."""
        if self._reader is not None:
            self._reader.shutdown(wait=True)
            self._reader = None
        self._held.clear()
        self._staged.clear()
        self._pending.clear()
        if self._folder is None:
            return
        if self._own_folder:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
        else:
            for path in self._folder.glob("*.npy"):
                path.unlink(missing_ok=True)
