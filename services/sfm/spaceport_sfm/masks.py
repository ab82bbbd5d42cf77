"""The masks of an upload, checked and written where COLMAP's feature extractor reads them.

Per photo (see `spaceport_splats.masks` for the naming and the values):

- no mask: the photo is used whole (one warning names the photos without one, when others have one);
- a mask that is not a readable image, or whose aspect ratio is not the photo's: the photo is skipped
  (`bad_mask`, the detail says why): training on it unmasked would bring back what the mask hides;
- a mask of the photo's aspect at another size: resized to the photo (nearest-neighbour);
- a mask that hides every pixel: the photo is skipped (`fully_masked`);
- a mask beside a video: ignored with a warning (video frames carry no masks);
- a mask that names no photo: a warning (most often a misspelt name).

Checked masks are written as 8-bit PNG (0 ignore, 255 keep) to `images_dir/masks/<name>.png`, so that the images
folder uploaded for training (turned photos) carries them too. Once any photo has a mask, every photo gets one there
(all white where it had none): with a mask folder set, COLMAP 4.2.1 fails a photo that has no mask file
(`MASK_ERROR: Failed to read the mask file`) and stores no features for it.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import structlog

from spaceport_sfm.report import AcceptedImage, SkippedFile
from spaceport_splats.masks import MASKS_FOLDER, MaskError, is_mask_of_any, mask_file, read_mask, write_mask

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class MaskedImages:
    """The images left after their masks were checked, the ones skipped for their mask, and where the masks are."""

    accepted: tuple[AcceptedImage, ...]
    skipped: tuple[SkippedFile, ...]
    masks_dir: Path | None  # None: no image has a mask


def prepare_masks(source: Path, images_dir: Path, accepted: tuple[AcceptedImage, ...]) -> MaskedImages:
    """Check the masks in `source/masks/` against the accepted images; write the usable ones for COLMAP."""
    found_dir = source / MASKS_FOLDER
    if not found_dir.is_dir():
        return MaskedImages(accepted, (), None)
    out_dir = images_dir / MASKS_FOLDER
    kept: list[AcceptedImage] = []
    skipped: list[SkippedFile] = []
    unmasked: list[str] = []
    for image in accepted:
        path = mask_file(found_dir, image.name)
        if path is None:
            unmasked.append(image.name)
            kept.append(image)
            continue
        try:
            mask = read_mask(path, image.name, (image.width, image.height))
        except MaskError as exc:
            skipped.append(SkippedFile(name=image.name, reason="bad_mask", detail=str(exc)))
            continue
        if not mask.any():
            detail = f"its mask {path.name} is black everywhere: nothing of the photo is used"
            skipped.append(SkippedFile(name=image.name, reason="fully_masked", detail=detail))
            continue
        write_mask(mask, out_dir / f"{image.name}.png")
        kept.append(image)
    _warn_about_names(found_dir, accepted, unmasked)
    masked = len(kept) - len(unmasked)
    log.info("masks_checked", masked=masked, unmasked=len(unmasked), skipped=len(skipped))
    if not masked:
        return MaskedImages(tuple(kept), tuple(skipped), None)
    for image in kept:  # COLMAP 4.2 gives a photo without a mask file no features at all (MASK_ERROR)
        if image.name in unmasked:
            write_mask(np.ones((image.height, image.width), bool), out_dir / f"{image.name}.png")
    return MaskedImages(tuple(kept), tuple(skipped), out_dir)


def _warn_about_names(found_dir: Path, accepted: tuple[AcceptedImage, ...], unmasked: list[str]) -> None:
    names = {image.name for image in accepted}
    if unmasked and len(unmasked) < len(accepted):
        log.warning("photos_without_masks", count=len(unmasked), first=unmasked[:5], note="used whole")
    orphans = [
        p.relative_to(found_dir).as_posix()
        for p in sorted(found_dir.rglob("*"))
        if p.is_file() and not is_mask_of_any(p, found_dir, names)
    ]
    if orphans:
        log.warning(
            "masks_without_photos",
            count=len(orphans),
            first=orphans[:5],
            note="name a mask <photo name>.png, e.g. IMG_1.jpg.png",
        )


def warn_masks_ignored(source: Path) -> None:
    """Masks beside a video are not used: its frames are cut by SfM, and no mask names them."""
    if (source / MASKS_FOLDER).is_dir():
        log.warning("masks_ignored_for_video", note="masks apply to photos only")
