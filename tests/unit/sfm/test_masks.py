"""Masks in SfM's input step: each bad-mask case gets its own outcome, never a crash."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from structlog.testing import capture_logs

from spaceport.params import SfmParams
from spaceport_sfm.preparation import prepare_inputs
from tests.unit.sfm.scenes import noise_image

pytestmark = pytest.mark.unit

SIZE = (200, 150)


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """Four distinct 200x150 photos and an empty masks/ folder beside them."""
    folder = tmp_path / "photos"
    (folder / "masks").mkdir(parents=True)
    for i in range(4):
        noise_image(folder / f"p{i}.jpg", SIZE, seed=i)
    return folder


def half_mask(path: Path, size: tuple[int, int] = SIZE, mode: str = "L") -> np.ndarray:
    """Write a mask hiding the left half (black) of a `size` image; returns the keep-array at that size."""
    keep = np.ones((size[1], size[0]), bool)
    keep[:, : size[0] // 2] = False
    Image.fromarray(keep.astype(np.uint8) * 255).convert(mode).save(path)
    return keep


def prepare(folder: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    return prepare_inputs(folder, tmp_path / "work", SfmParams.preset("fast"), "photos")


def skipped(prepared) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {item.name: item.reason for item in prepared.skipped}


def written(prepared, name: str) -> np.ndarray:  # type: ignore[no-untyped-def]
    return np.asarray(Image.open(prepared.masks_dir / f"{name}.png")) > 0


def test_good_masks_are_written_for_colmap_and_are_not_photos(photos: Path, tmp_path: Path) -> None:
    """Masks named <photo>.png (COLMAP) or <stem>.png are checked and written binary; masks/ holds no photos."""
    keep = half_mask(photos / "masks" / "p0.jpg.png")
    half_mask(photos / "masks" / "p1.png", mode="RGB")
    prepared = prepare(photos, tmp_path)
    assert sorted(a.name for a in prepared.accepted) == ["p0.jpg", "p1.jpg", "p2.jpg", "p3.jpg"]
    assert prepared.skipped == ()
    assert prepared.masks_dir is not None and prepared.masks_dir.parent == prepared.images_dir
    assert np.array_equal(written(prepared, "p0.jpg"), keep)
    assert np.array_equal(written(prepared, "p1.jpg"), keep)
    assert written(prepared, "p2.jpg").all()


def test_a_mask_of_the_wrong_shape_skips_its_photo_with_the_sizes(photos: Path, tmp_path: Path) -> None:
    """A 150x150 mask for a 200x150 photo: the photo is skipped as bad_mask, the detail gives both sizes."""
    half_mask(photos / "masks" / "p0.jpg.png", size=(150, 150))
    half_mask(photos / "masks" / "p1.jpg.png", size=(150, 200))  # turned
    prepared = prepare(photos, tmp_path)
    assert skipped(prepared) == {"p0.jpg": "bad_mask", "p1.jpg": "bad_mask"}
    details = {item.name: item.detail for item in prepared.skipped}
    assert "150x150 px but the photo is 200x150 px" in details["p0.jpg"]
    assert "turned" in details["p1.jpg"]
    assert "p0.jpg" not in {a.name for a in prepared.accepted}


def test_a_smaller_mask_of_the_same_aspect_is_resized_nearest(photos: Path, tmp_path: Path) -> None:
    """A 100x75 mask for a 200x150 photo is scaled up to the photo, nearest-neighbour, and kept binary."""
    half_mask(photos / "masks" / "p0.jpg.png", size=(100, 75))
    prepared = prepare(photos, tmp_path)
    assert prepared.skipped == ()
    mask = written(prepared, "p0.jpg")
    assert mask.shape == (150, 200)
    assert not mask[:, :100].any() and mask[:, 100:].all()


def test_a_mask_that_is_not_an_image_skips_its_photo(photos: Path, tmp_path: Path) -> None:
    """Text named .png and a truncated PNG are bad_mask, named in the detail; the other photos go on."""
    (photos / "masks" / "p0.jpg.png").write_text("not a mask")
    half_mask(photos / "masks" / "p1.jpg.png")
    data = (photos / "masks" / "p1.jpg.png").read_bytes()
    (photos / "masks" / "p1.jpg.png").write_bytes(data[: len(data) // 2])
    prepared = prepare(photos, tmp_path)
    assert skipped(prepared) == {"p0.jpg": "bad_mask", "p1.jpg": "bad_mask"}
    assert all("p0.jpg.png" in i.detail or "p1.jpg.png" in i.detail for i in prepared.skipped)
    assert sorted(a.name for a in prepared.accepted) == ["p2.jpg", "p3.jpg"]


def test_an_all_black_mask_skips_its_photo(photos: Path, tmp_path: Path) -> None:
    """A mask that hides every pixel leaves nothing to use: the photo is skipped as fully_masked."""
    Image.new("L", SIZE, 0).save(photos / "masks" / "p0.jpg.png")
    half_mask(photos / "masks" / "p1.jpg.png")
    prepared = prepare(photos, tmp_path)
    assert skipped(prepared) == {"p0.jpg": "fully_masked"}
    assert prepared.masks_dir is not None


def test_missing_masks_warn_and_leave_those_photos_whole(photos: Path, tmp_path: Path) -> None:
    """Masks for two of four photos: the other two are used whole, one warning names them; a stray mask warns."""
    half_mask(photos / "masks" / "p0.jpg.png")
    half_mask(photos / "masks" / "p1.jpg.png")
    half_mask(photos / "masks" / "IMG_9.jpg.png")
    with capture_logs() as logs:
        prepared = prepare(photos, tmp_path)
    assert len(prepared.accepted) == 4 and prepared.skipped == ()
    assert written(prepared, "p2.jpg").all()  # COLMAP needs a file for every photo once it has a mask folder
    events = {entry["event"]: entry for entry in logs}
    assert events["photos_without_masks"]["first"] == ["p2.jpg", "p3.jpg"]
    assert events["masks_without_photos"]["first"] == ["IMG_9.jpg.png"]


def test_a_masks_folder_with_no_usable_mask_gives_no_mask_path(photos: Path, tmp_path: Path) -> None:
    """No photo has a mask: COLMAP gets no mask folder at all, every photo is used whole."""
    prepared = prepare(photos, tmp_path)
    assert prepared.masks_dir is None and len(prepared.accepted) == 4


def test_a_turned_photos_mask_is_drawn_upright_and_travels_with_it(photos: Path, tmp_path: Path) -> None:
    """A photo stored landscape with EXIF 'rotate 90' is 150x200 as displayed: its upright mask is kept and
    written beside the turned copy SfM uploads for training; a mask of the stored size is refused as turned."""
    for name in ("p0.jpg", "p1.jpg"):
        image = Image.open(photos / name)
        exif = image.getexif()
        exif[0x0112] = 6
        image.save(photos / name, exif=exif.tobytes())
    keep = half_mask(photos / "masks" / "p0.jpg.png", size=(150, 200))
    half_mask(photos / "masks" / "p1.jpg.png", size=SIZE)
    prepared = prepare(photos, tmp_path)
    assert prepared.changed
    assert skipped(prepared) == {"p1.jpg": "bad_mask"}
    assert "turned" in prepared.skipped[0].detail
    assert np.array_equal(written(prepared, "p0.jpg"), keep)


@pytest.mark.parametrize("mode", ["1", "P", "RGBA", "LA", "I;16"])
def test_masks_of_any_image_mode_read_as_black_ignore_other_keep(photos: Path, tmp_path: Path, mode: str) -> None:
    """Bilevel, palette, RGBA, grey+alpha and 16-bit masks all read as the same keep-mask (0 = ignore)."""
    keep = half_mask(photos / "masks" / "p0.jpg.png", mode=mode)
    assert Image.open(photos / "masks" / "p0.jpg.png").mode in (mode, "I;16", "I")
    prepared = prepare(photos, tmp_path)
    assert prepared.skipped == ()
    assert np.array_equal(written(prepared, "p0.jpg"), keep)
