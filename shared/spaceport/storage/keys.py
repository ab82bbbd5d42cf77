"""Object keys: every job's artifacts live under `jobs/{job_id}/{stage}/`."""

from pathlib import PurePosixPath

from spaceport.events.envelope import check_job_id

STAGE_FOLDERS = ("images", "sfm", "trainer", "compressor", "monitor")
COMPLETION_RECORD = "_completed.json"


class UnsafeKey(ValueError):
    """A key or relative path that would escape its folder."""


def safe_relpath(name: str) -> str:
    """A relative POSIX path that stays inside its folder, or `UnsafeKey`."""
    if not name or "\\" in name or "\x00" in name:
        raise UnsafeKey(f"unsafe name {name!r}")
    if name.startswith("/") or any(part in ("", ".", "..") for part in name.split("/")):
        raise UnsafeKey(f"name {name!r} escapes its folder or has empty parts")
    return PurePosixPath(name).as_posix()


def job_prefix(job_id: str, stage: str) -> str:
    """The key prefix, ending in `/`, of one stage's artifacts for one job."""
    check_job_id(job_id)
    if stage not in STAGE_FOLDERS:
        raise UnsafeKey(f"unknown stage folder {stage!r}")
    return f"jobs/{job_id}/{stage}/"


def job_root(job_id: str) -> str:
    """The key prefix, ending in `/`, of everything stored for one job."""
    check_job_id(job_id)
    return f"jobs/{job_id}/"


def job_key(job_id: str, stage: str, name: str) -> str:
    """The key of one artifact of one stage of one job."""
    return job_prefix(job_id, stage) + safe_relpath(name)
