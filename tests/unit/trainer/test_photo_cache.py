"""The budgeted photo cache: tiering by budget, staging with LRU eviction, prefetch, exact photos from every tier."""

from pathlib import Path

import numpy as np
import pytest
import torch

from spaceport.params.trainer import PhotoCacheParams
from spaceport_splats.photo_budget import available_host_bytes, photo_budget
from spaceport_splats.photo_cache import CacheBudget, PhotoCache

pytestmark = pytest.mark.unit

CPU = torch.device("cpu")
H, W = 6, 8
PHOTO_BYTES = H * W * 3  # uint8 RGB, no mask


def _photos(count: int) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    return [rng.integers(0, 256, (H, W, 3), dtype=np.uint8) for _ in range(count)]


def _filled(tmp_path: Path, count: int, budget: CacheBudget) -> tuple[PhotoCache, list[np.ndarray]]:
    photos = _photos(count)
    cache = PhotoCache(CPU, budget, tmp_path / "cache")
    for photo in photos:
        cache.add(photo)
    return cache, photos


def test_photos_fill_device_then_host_then_disk(tmp_path: Path) -> None:
    """Photos go to the device until its budget is spent, then to host memory, then to .npy files on disk."""
    cache, _ = _filled(tmp_path, 6, CacheBudget(device_bytes=2 * PHOTO_BYTES, host_bytes=PHOTO_BYTES + 10))
    assert [cache.tier(i) for i in range(6)] == ["device", "device", "host", "disk", "disk", "disk"]
    assert cache.stats.photos == {"device": 2, "host": 1, "disk": 3}
    assert cache.stats.bytes == {"device": 2 * PHOTO_BYTES, "host": PHOTO_BYTES, "disk": 3 * PHOTO_BYTES}
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [f"{i:06d}.image.npy" for i in (3, 4, 5)]


def test_every_tier_returns_the_exact_photo_and_mask(tmp_path: Path) -> None:
    """A photo and its mask read back bit for bit from the device, host and disk tiers."""
    rng = np.random.default_rng(3)
    cache = PhotoCache(CPU, CacheBudget(device_bytes=PHOTO_BYTES + H * W, host_bytes=PHOTO_BYTES + H * W), tmp_path)
    stored = [(p, rng.random((H, W)) > 0.5) for p in _photos(3)]
    for image, mask in stored:
        cache.add(image, mask)
    assert [cache.tier(i) for i in range(3)] == ["device", "host", "disk"]
    for index, (image, mask) in enumerate(stored):
        photo = cache.get(index)
        assert photo.image.dtype == torch.uint8 and torch.equal(photo.image, torch.from_numpy(image))
        assert photo.mask is not None and torch.equal(photo.mask, torch.from_numpy(mask))


def test_staging_evicts_the_least_recently_used_photo(tmp_path: Path) -> None:
    """Disk photos are staged in `staging` slots; a new one evicts the least recently used, which is then re-read."""
    cache, _ = _filled(tmp_path, 5, CacheBudget(device_bytes=0, staging=2))
    cache.get(0)
    cache.get(1)
    cache.get(0)  # 0 is now the most recent
    assert cache.staged() == [1, 0] and cache.stats.fetches == 2 and cache.stats.hits == 1
    cache.get(2)  # evicts 1
    assert cache.staged() == [0, 2]
    cache.get(1)  # read from disk again, evicts 0
    assert cache.staged() == [2, 1] and cache.stats.fetches == 4 and cache.stats.waits == 4


def test_prefetched_photos_do_not_make_the_caller_wait(tmp_path: Path) -> None:
    """A photo prefetched before it is read is fetched in the background: no wait is counted, the pixels match."""
    cache, photos = _filled(tmp_path, 4, CacheBudget(device_bytes=0, staging=2))
    for index in range(4):
        cache.prefetch(index)
        assert torch.equal(cache.get(index).image, torch.from_numpy(photos[index]))
    assert cache.stats.waits == 0 and cache.stats.fetches == 4
    cache.close()


def test_device_photos_are_read_without_a_copy(tmp_path: Path) -> None:
    """A photo in the device tier is the same tensor on every read, and nothing is staged for it."""
    cache, _ = _filled(tmp_path, 2, CacheBudget(device_bytes=10 * PHOTO_BYTES))
    assert cache.get(1).image.data_ptr() == cache.get(1).image.data_ptr()
    assert cache.staged() == [] and cache.stats.fetches == 0 and cache.stats.hits == 2


def test_close_removes_the_disk_tier(tmp_path: Path) -> None:
    """Closing the cache deletes its photo files; a cache that made its own folder deletes the folder."""
    given, _ = _filled(tmp_path, 3, CacheBudget(device_bytes=0))
    given.close()
    assert list((tmp_path / "cache").glob("*.npy")) == []
    own = PhotoCache(CPU, CacheBudget(device_bytes=0))
    own.add(_photos(1)[0])
    folder = own.folder
    assert folder.is_dir()
    own.close()
    assert not folder.exists()


def test_budget_on_cpu_comes_from_host_memory() -> None:
    """On CPU, unset, the device tier gets host_share of the available RAM (at most host_cap_gib) and no host tier."""
    budget = photo_budget(PhotoCacheParams(host_share=0.5, host_cap_gib=1000.0), CPU)
    assert budget.host_bytes == 0
    assert budget.device_bytes == pytest.approx(0.5 * available_host_bytes(), rel=0.05)
    capped = photo_budget(PhotoCacheParams(host_cap_gib=0.001), CPU)
    assert capped.device_bytes == int(0.001 * 2**30)


def test_budget_params_fix_the_tiers() -> None:
    """Given byte budgets are taken as they are, whatever the machine has."""
    budget = photo_budget(PhotoCacheParams(device_bytes=123, host_bytes=456, staging=3), CPU)
    assert (budget.device_bytes, budget.host_bytes, budget.staging) == (123, 456, 3)
