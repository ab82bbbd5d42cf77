"""Submitting a job: upload its photos (or video) and publish ImagesReady."""

from dataclasses import dataclass
from pathlib import Path

import structlog

from spaceport.bus import Bus
from spaceport.events import ImagesReady, ImagesReadyData, new_job_id
from spaceport.params import JobOptions
from spaceport.storage import ObjectStore, job_prefix, job_root, safe_relpath
from spaceport_app.inputs import collect_inputs, collect_masks
from spaceport_splats.masks import MASKS_FOLDER

log = structlog.get_logger(__name__)


class JobExists(ValueError):
    """A job of that id was submitted before: reusing its id would mix new photos into its record and return
    its old results."""


def ensure_new_job(store: ObjectStore, job_id: str) -> None:
    """Refuse a job id that already has anything in storage."""
    found = store.list_keys(job_root(job_id))
    if found:
        raise JobExists(
            f"job {job_id} already exists ({len(found)} object(s) under {store.uri(job_root(job_id))}): "
            "choose another --job-id, or leave it out for a new one"
        )


@dataclass(frozen=True)
class Submission:
    """A job that was submitted."""

    job_id: str
    event: ImagesReady
    uploaded: int


def upload_inputs(store: ObjectStore, source: Path, job_id: str) -> tuple[ImagesReadyData, int]:
    """Upload the photos under `source` (or the video it is) to `jobs/{job_id}/images/`."""
    kind, files = collect_inputs(source)
    prefix = job_prefix(job_id, "images")
    base = source if source.is_dir() else source.parent
    for path in files:
        store.put_file(prefix + safe_relpath(path.relative_to(base).as_posix()), path)
    masks = collect_masks(source)
    if masks and kind == "video":
        log.warning("masks_ignored_for_video", masks=len(masks), note="masks apply to photos only")
    elif masks:  # beside the photos in storage, where SfM and the trainer look: images/masks/<photo name>.png
        for name, path in masks:
            store.put_file(prefix + safe_relpath(f"{MASKS_FOLDER}/{name}"), path)
        log.info("masks_uploaded", masks=len(masks))
    count = len(files) if kind == "photos" else 0
    return ImagesReadyData(images_uri=store.uri(prefix), image_count=count, input_kind=kind), len(files)


async def submit_job(
    bus: Bus, store: ObjectStore, source: Path, options: JobOptions, job_id: str | None = None
) -> Submission:
    """Upload a job's inputs, then publish its ImagesReady (with confirms); `JobExists` for a used job id."""
    job_id = job_id or new_job_id()
    ensure_new_job(store, job_id)
    data, uploaded = upload_inputs(store, source, job_id)
    event = ImagesReady(source="client", job_id=job_id, data=data.model_copy(update={"options": options}))
    await bus.publish(event)
    log.info("job_submitted", job_id=job_id, images=data.image_count, input_kind=data.input_kind)
    return Submission(job_id=job_id, event=event, uploaded=uploaded)
