"""Input validation before pycolmap: what is accepted, what is skipped and why, what is refused outright."""

import os
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from spaceport.params import SfmParams
from spaceport_sfm.errors import SfmError
from spaceport_sfm.inputs import scan_inputs
from spaceport_sfm.preparation import input_rejection, prepare_inputs
from tests.unit.sfm.scenes import noise_image, tiny_image, truncated_copy

pytestmark = pytest.mark.unit


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """Three distinct 200x150 textured photos."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(3):
        noise_image(folder / f"p{i}.jpg", (200, 150), seed=i)
    return folder


def scan(folder: Path, tmp_path: Path, min_side: int = 64):  # type: ignore[no-untyped-def]
    return scan_inputs(folder, tmp_path / "images", tmp_path / "unpacked", min_side)


def reasons(result) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {item.name: item.reason for item in result.skipped}


def test_broken_and_stray_files_are_skipped_with_reasons(photos: Path, tmp_path: Path) -> None:
    """Truncated JPEG, text named .jpg, WebP, HEIC, a 1x1 image and a README are skipped; photos stay."""
    truncated_copy(photos / "p0.jpg", photos / "cut.jpg")
    (photos / "notes.jpg").write_text("not a photo")
    (photos / "README").write_text("hello")
    Image.new("RGB", (120, 120)).save(photos / "x.webp")
    (photos / "IMG_0001.HEIC").write_bytes(b"\x00\x00\x00\x18ftypheic" + bytes(100))
    tiny_image(photos / "dot.png")
    result = scan(photos, tmp_path)
    assert sorted(a.name for a in result.accepted) == ["p0.jpg", "p1.jpg", "p2.jpg"]
    assert reasons(result) == {
        "cut.jpg": "corrupt",
        "notes.jpg": "not_an_image",
        "README": "not_an_image",
        "x.webp": "unsupported_format",
        "IMG_0001.HEIC": "unsupported_format",
        "dot.png": "too_small",
    }


def test_accepted_images_are_linked_under_their_names(photos: Path, tmp_path: Path) -> None:
    """pycolmap sees exactly the accepted images, under their original relative names."""
    (photos / "sub").mkdir()
    noise_image(photos / "sub" / "deep.jpg", (200, 150), seed=9)
    result = scan(photos, tmp_path)
    assert sorted(p.relative_to(result.images_dir).as_posix() for p in result.images_dir.rglob("*.jpg")) == [
        "p0.jpg",
        "p1.jpg",
        "p2.jpg",
        "sub/deep.jpg",
    ]


def test_duplicate_photos_are_skipped(photos: Path, tmp_path: Path) -> None:
    """A byte copy and a re-encoded copy of one photo are both reported as duplicates of it."""
    (photos / "p3.jpg").write_bytes((photos / "p0.jpg").read_bytes())
    Image.open(photos / "p1.jpg").save(photos / "p4.jpg", quality=97)
    assert reasons(scan(photos, tmp_path)) == {"p3.jpg": "duplicate", "p4.jpg": "duplicate"}


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    """A landscape-stored photo tagged 'rotate 90' reaches SfM upright (portrait), marked rewritten."""
    folder = tmp_path / "in"
    folder.mkdir()
    noise_image(folder / "r.jpg", (300, 200), seed=1)
    image = Image.open(folder / "r.jpg")
    exif = image.getexif()
    exif[0x0112] = 6
    image.save(folder / "r.jpg", exif=exif.tobytes())
    result = scan(folder, tmp_path)
    accepted = result.accepted[0]
    assert (accepted.width, accepted.height, accepted.rewritten) == (200, 300, True)
    with Image.open(result.images_dir / "r.jpg") as upright:
        assert upright.size == (200, 300) and upright.getexif().get(0x0112, 1) == 1


def test_archive_member_escaping_the_folder_is_refused(tmp_path: Path) -> None:
    """A zip with a `../` member stops the job with `unsafe_input` before anything is extracted."""
    folder = tmp_path / "in"
    folder.mkdir()
    with zipfile.ZipFile(folder / "photos.zip", "w") as zf:
        zf.writestr("../../evil.jpg", b"x")
    with pytest.raises(SfmError) as caught:
        scan(folder, tmp_path)
    assert caught.value.reason == "unsafe_input"
    assert not (tmp_path / "evil.jpg").exists()


def test_archive_photos_are_used(photos: Path, tmp_path: Path) -> None:
    """Photos inside a zip are unpacked and validated like loose ones."""
    folder = tmp_path / "zipped"
    folder.mkdir()
    with zipfile.ZipFile(folder / "set.zip", "w") as zf:
        for path in sorted(photos.iterdir()):
            zf.write(path, path.name)
    names = sorted(a.name for a in scan(folder, tmp_path).accepted)
    assert names == ["set/p0.jpg", "set/p1.jpg", "set/p2.jpg"]


def test_symlink_out_of_the_folder_is_refused(photos: Path, tmp_path: Path) -> None:
    """A link pointing outside the job's folder stops the job with `unsafe_input`."""
    secret = tmp_path / "secret.jpg"
    noise_image(secret, (100, 100), seed=5)
    os.symlink(secret, photos / "link.jpg")
    with pytest.raises(SfmError) as caught:
        scan(photos, tmp_path)
    assert caught.value.reason == "unsafe_input"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d: None, "no_images"),
        (lambda d: [(d / f"t{i}.jpg").write_text("text") for i in range(3)], "no_images"),
        (lambda d: [noise_image(d / f"p{i}.jpg", (200, 150), seed=i) for i in range(2)], "too_few_images"),
        (lambda d: [tiny_image(d / f"t{i}.jpg") for i in range(4)], "images_too_small"),
    ],
)
def test_unusable_uploads_are_rejected_before_pycolmap(tmp_path: Path, make, reason: str) -> None:  # type: ignore[no-untyped-def]
    """Empty, text-only, two-photo and 1x1-only uploads each get their own reason code."""
    folder = tmp_path / "in"
    folder.mkdir()
    make(folder)
    prepared = prepare_inputs(folder, tmp_path / "work", SfmParams(), "photos")
    rejection = input_rejection(prepared, SfmParams())
    assert rejection is not None and rejection.reason == reason
