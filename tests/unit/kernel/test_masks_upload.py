"""Masks travel with the photos: found beside them, never taken for photos, uploaded to images/masks/."""

from pathlib import Path

import pytest
from PIL import Image

from spaceport.storage import LocalStore
from spaceport_app.inputs import collect_inputs, find_masks
from spaceport_app.submission import upload_inputs

pytestmark = pytest.mark.unit


def photo_set(folder: Path, names: tuple[str, ...] = ("a.jpg", "b.jpg")) -> Path:
    """Small photos under `folder`."""
    folder.mkdir(parents=True)
    for name in names:
        Image.new("RGB", (80, 60), (90, 120, 30)).save(folder / name)
    return folder


def mask(path: Path) -> None:
    """A white 80x60 mask at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", (80, 60), 255).save(path)


def test_masks_inside_the_photo_folder_are_uploaded_beside_the_photos(tmp_path: Path) -> None:
    """PHOTOS/masks/a.jpg.png is not a photo; it is stored at jobs/<job>/images/masks/a.jpg.png."""
    photos = photo_set(tmp_path / "photos")
    mask(photos / "masks" / "a.jpg.png")
    kind, files = collect_inputs(photos)
    assert kind == "photos" and [p.name for p in files] == ["a.jpg", "b.jpg"]
    store = LocalStore(tmp_path / "store")
    data, uploaded = upload_inputs(store, photos, "job1")
    assert data.image_count == 2 and uploaded == 2
    assert sorted(store.list_keys("jobs/job1/images/")) == [
        "jobs/job1/images/a.jpg",
        "jobs/job1/images/b.jpg",
        "jobs/job1/images/masks/a.jpg.png",
    ]


def test_colmaps_layout_finds_masks_beside_an_images_folder(tmp_path: Path) -> None:
    """scene/images + scene/masks (COLMAP's project layout): the masks are found and uploaded to images/masks/."""
    photos = photo_set(tmp_path / "scene" / "images")
    mask(tmp_path / "scene" / "masks" / "b.jpg.png")
    assert find_masks(photos) == tmp_path / "scene" / "masks"
    store = LocalStore(tmp_path / "store")
    upload_inputs(store, photos, "job2")
    assert "jobs/job2/images/masks/b.jpg.png" in store.list_keys("jobs/job2/images/")


def test_a_sibling_masks_folder_counts_only_beside_a_folder_named_images(tmp_path: Path) -> None:
    """trip/photos beside trip/masks: the sibling is not taken for that folder's masks."""
    photos = photo_set(tmp_path / "trip" / "photos")
    mask(tmp_path / "trip" / "masks" / "a.jpg.png")
    assert find_masks(photos) is None
    store = LocalStore(tmp_path / "store")
    upload_inputs(store, photos, "job3")
    assert not [k for k in store.list_keys("jobs/job3/") if "/masks/" in k]
