"""Masks in training: ignored pixels give no loss and no gradient, scores skip them, masks follow their photos."""

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from spaceport_splats.colmap import read_sparse_model
from spaceport_splats.dataset import load_scene
from spaceport_splats.masked import psnr_over, ssim_over
from spaceport_splats.masks import MaskError, downscale_mask, resize_nearest
from spaceport_splats.undistort import prepare_scene, undistort
from spaceport_trainer.loss import photometric_loss
from tests.unit.trainer.synthetic import write_synthetic_scene

pytestmark = pytest.mark.unit

H, W = 32, 40


def half_mask() -> torch.Tensor:
    """Keep the right half of an H x W image."""
    mask = torch.ones(H, W, dtype=torch.bool)
    mask[:, : W // 2] = False
    return mask


def test_masked_pixels_give_no_loss_and_no_gradient() -> None:
    """Changing the render under the mask leaves the loss as it is, and no gradient reaches those pixels."""
    gen = torch.Generator().manual_seed(0)
    target = torch.rand(H, W, 3, generator=gen)
    image = torch.rand(H, W, 3, generator=gen).requires_grad_(True)
    mask = half_mask()
    loss = photometric_loss(image, target, 0.2, mask)
    loss.backward()
    assert image.grad is not None
    assert float(image.grad[~mask].abs().max()) == 0.0
    assert float(image.grad[mask].abs().max()) > 0.0
    other = image.detach().clone()
    other[~mask] = 1.0 - other[~mask]
    assert float(photometric_loss(other, target, 0.2, mask)) == pytest.approx(float(loss.detach()), abs=1e-6)
    assert float(photometric_loss(other, target, 0.2)) != pytest.approx(
        float(photometric_loss(image.detach(), target, 0.2))
    )


def test_scores_count_the_kept_pixels_only() -> None:
    """PSNR is the MSE over kept pixels alone; PSNR and SSIM do not move when the masked pixels change."""
    gen = torch.Generator().manual_seed(1)
    target = torch.rand(H, W, 3, generator=gen)
    image = (target + 0.05 * torch.randn(H, W, 3, generator=gen)).clamp(0, 1)
    mask = half_mask()
    mse = float(((image - target) ** 2)[mask].mean())
    assert float(psnr_over(image, target, mask)) == pytest.approx(-10 * np.log10(mse), rel=1e-5)
    spoiled = image.clone()
    spoiled[~mask] = 0.0
    assert float(psnr_over(spoiled, target, mask)) == pytest.approx(float(psnr_over(image, target, mask)))
    assert float(ssim_over(spoiled, target, mask)) == pytest.approx(float(ssim_over(image, target, mask)))
    assert float(psnr_over(spoiled, target, None)) < float(psnr_over(image, target, None)) - 3


def test_downscaling_keeps_only_wholly_kept_pixels() -> None:
    """At half size a pixel is kept only where all four photo pixels under it are."""
    mask = np.ones((8, 8), bool)
    mask[3, 5] = False  # lands in training pixel (1, 2)
    small = downscale_mask(mask, (4, 4))
    assert small.shape == (4, 4) and not small[1, 2] and small.sum() == 15


def copy_scene(scene: Path, root: Path) -> Path:
    """A private copy of the synthetic scene (masks are added to its images)."""
    shutil.copytree(scene, root)
    return root


def checker_mask(path: Path, width: int = 64, height: int = 48, cell: int = 16) -> np.ndarray:
    """Write a checker keep-mask (cells of `cell` px) to `path`; returns it."""
    ys, xs = np.mgrid[0:height, 0:width]
    keep = ((xs // cell + ys // cell) % 2 == 0) | (xs >= width - cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(keep.astype(np.uint8) * 255).save(path)
    return keep


def test_views_carry_their_masks_at_training_size(synthetic_scene: Path, tmp_path: Path) -> None:
    """A masked photo's view holds its mask downscaled with it; an all-black one drops its view; others none."""
    scene = copy_scene(synthetic_scene, tmp_path / "scene")
    checker_mask(scene / "images" / "masks" / "0001.png.png")
    Image.new("L", (64, 48), 0).save(scene / "images" / "masks" / "0002.png.png")
    model = read_sparse_model(scene / "sparse" / "0")
    data = load_scene(model, scene / "images", 2, None, 4, torch.device("cpu"))
    views = {v.name: v for v in [*data.train, *data.test]}
    assert "0002.png" not in views and len(views) == 11
    mask = views["0001.png"].mask
    assert mask is not None and tuple(mask.shape) == (24, 32) and 0 < int(mask.sum()) < 24 * 32
    assert views["0003.png"].mask is None


def test_a_mask_of_another_shape_is_an_error_naming_the_photo(synthetic_scene: Path, tmp_path: Path) -> None:
    """A 64x64 mask for a 64x48 photo stops loading with a MaskError that names both files."""
    scene = copy_scene(synthetic_scene, tmp_path / "scene")
    (scene / "images" / "masks").mkdir()
    Image.new("L", (64, 64), 255).save(scene / "images" / "masks" / "0001.png.png")
    model = read_sparse_model(scene / "sparse" / "0")
    with pytest.raises(MaskError, match=r"0001\.png\.png of photo 0001\.png is 64x64 px but the photo is 64x48"):
        load_scene(model, scene / "images", 1, None, 4, torch.device("cpu"))


def test_undistorted_masks_match_colmaps_own_undistortion(tmp_path: Path) -> None:
    """Masks are undistorted with their photos (a strongly distorted lens, k1 = 0.2): they agree with COLMAP
    undistorting the mask as an image (bilinear, thresholded) except on cell edges, far better than the mask
    merely resized."""
    scene = write_synthetic_scene(tmp_path / "scene", views=6, points=300, k1=0.2)
    keep = checker_mask(scene / "images" / "masks" / "0004.png.png")
    prepared = prepare_scene(scene / "sparse" / "0", scene / "images", tmp_path / "work", "undistort", on_gpu=False)
    assert prepared.lens_handling == "undistorted"
    ours = np.asarray(Image.open(prepared.images_dir / "masks" / "0004.png.png")) > 0
    as_image = tmp_path / "as_image"
    as_image.mkdir()
    Image.fromarray(keep.astype(np.uint8) * 255).convert("RGB").save(as_image / "0004.png")
    _, colmap_images = undistort(scene / "sparse" / "0", as_image, tmp_path / "colmap", ["0004.png"])
    theirs = np.asarray(Image.open(colmap_images / "0004.png").convert("L")) >= 128
    assert ours.shape == theirs.shape
    agree = float((ours == theirs).mean())
    assert agree > 0.97, agree
    left_as_is = resize_nearest(keep, (ours.shape[1], ours.shape[0]))  # the mask merely resized to the new size
    assert float((left_as_is == theirs).mean()) < agree - 0.02


def test_masks_that_hide_every_photo_are_an_error(synthetic_scene: Path, tmp_path: Path) -> None:
    """All-black masks on every photo leave nothing to train on: a MaskError that says so, not a crash."""
    scene = copy_scene(synthetic_scene, tmp_path / "scene")
    (scene / "images" / "masks").mkdir()
    for photo in (scene / "images").glob("*.png"):
        Image.new("L", (64, 48), 0).save(scene / "images" / "masks" / f"{photo.name}.png")
    model = read_sparse_model(scene / "sparse" / "0")
    with pytest.raises(MaskError, match="hide every pixel of all 9 training photos"):
        load_scene(model, scene / "images", 1, None, 4, torch.device("cpu"))
