"""A job whose photos exceed the photo cache's budget trains exactly as one whose photos all fit."""

from pathlib import Path

import pytest

from spaceport.params.trainer import PhotoCacheParams, TrainParams
from spaceport_trainer.train import PHOTO_FOLDER, train

pytestmark = pytest.mark.unit

PHOTO_BYTES = 64 * 48 * 3  # the synthetic scene's photos at data_factor 1


def _params(cache: PhotoCacheParams) -> TrainParams:
    return TrainParams(
        preset="preview",
        steps=24,
        data_factor=1,
        sh_degree=1,
        sh_degree_interval=10,
        max_gaussians=3000,
        log_every=4,
        checkpoint_every=10_000,
        preview_views=0,
        seed=3,
        photo_cache=cache,
    )


def test_photos_over_budget_train_to_the_same_losses(synthetic_scene: Path, tmp_path: Path) -> None:
    """With room for one photo (the rest on disk, read back through the staging slots) every logged loss and the
    held-out PSNR equal those of a run holding every photo in memory; the disk tier is removed afterwards."""
    fits = train(synthetic_scene, tmp_path / "fits", _params(PhotoCacheParams()))
    spills = train(synthetic_scene, tmp_path / "spills", _params(PhotoCacheParams(device_bytes=PHOTO_BYTES)))
    assert fits.photo_cache is not None and spills.photo_cache is not None
    assert fits.photo_cache.photos == {"device": 12, "host": 0, "disk": 0}
    assert spills.photo_cache.photos == {"device": 1, "host": 0, "disk": 11}
    assert spills.photo_cache.fetches >= 20  # most steps read their photo from disk
    assert len(fits.loss_log) == 6 and spills.loss_log == fits.loss_log
    assert fits.final is not None and spills.final is not None and spills.final.psnr == fits.final.psnr
    assert spills.peak_rss_bytes > 0 and fits.peak_rss_bytes > 0
    assert not (tmp_path / "spills" / PHOTO_FOLDER).exists() or not any((tmp_path / "spills" / PHOTO_FOLDER).iterdir())
