"""Bad and unusual uploads through the SfM stage: each ends in SfmRejected or StageFailed with its reason
code, and the worker lives on."""

import zipfile
from pathlib import Path

import pytest

from spaceport.events import SfmCompleted, SfmRejected, StageFailed
from spaceport.params import SfmParams
from spaceport.runtime import StageSpec
from spaceport.storage import LocalStore
from spaceport_sfm.errors import SfmError
from spaceport_sfm.handler import make_handler
from spaceport_sfm.report import SfmReport
from tests.unit.sfm.harness import run_stage
from tests.unit.sfm.scenes import (
    copy_tree,
    downscale,
    images_ready,
    noise_image,
    sfm_settings,
    tiny_image,
    upload,
    write_video,
)

pytestmark = pytest.mark.unit
FAST = SfmParams.preset("fast")


def folder(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.mkdir(parents=True)
    return path


def stored_report(store: LocalStore, uri: str | None) -> SfmReport:
    assert uri is not None
    return SfmReport.model_validate_json(store.get_bytes(store.key_of(uri)))


def test_cheap_bad_uploads_are_rejected_with_their_reasons(tmp_path: Path) -> None:
    """Empty, two-photo, 1x1-only and text-only uploads each get SfmRejected with their own code and hints."""
    store = LocalStore(tmp_path / "store")
    uploads = {
        "empty": folder(tmp_path, "empty"),
        "two": folder(tmp_path, "two"),
        "tiny": folder(tmp_path, "tiny"),
        "text": folder(tmp_path, "text"),
    }
    for i in range(2):
        noise_image(uploads["two"] / f"p{i}.jpg", (320, 240), seed=i)
    for i in range(4):
        tiny_image(uploads["tiny"] / f"t{i}.jpg")
        (uploads["text"] / f"t{i}.jpg").write_text("just text")
    uris = {
        job: upload(store, job, path) if job != "empty" else store.uri(f"jobs/{job}/images/")
        for job, path in uploads.items()
    }
    jobs = [images_ready(job, uri, FAST) for job, uri in uris.items()]
    run = run_stage(jobs, store, sfm_settings(tmp_path))
    expected = {"empty": "no_images", "two": "too_few_images", "tiny": "images_too_small", "text": "no_images"}
    for job, reason in expected.items():
        event = run.final(job)
        assert isinstance(event, SfmRejected) and event.data.reason == reason, event
        assert event.data.hints and event.data.metrics is not None
    assert "4 file(s) are not images" in " ".join(run.final("text").data.hints)  # type: ignore[union-attr]


def test_archive_escaping_the_job_folder_fails_the_stage(tmp_path: Path) -> None:
    """A zip whose member climbs out of the folder ends in StageFailed `unsafe_input`."""
    store = LocalStore(tmp_path / "store")
    source = folder(tmp_path, "zip")
    with zipfile.ZipFile(source / "photos.zip", "w") as zf:
        zf.writestr("../../../etc/cron.d/evil", b"x")
    run = run_stage([images_ready("zip", upload(store, "zip", source), FAST)], store, sfm_settings(tmp_path))
    event = run.final("zip")
    assert isinstance(event, StageFailed) and event.data.reason == "unsafe_input" and not event.data.retryable


def test_undecodable_video_fails_the_stage(tmp_path: Path) -> None:
    """A video job whose file is not a video ends in StageFailed `unreadable_video`."""
    store = LocalStore(tmp_path / "store")
    source = folder(tmp_path, "video")
    (source / "clip.mov").write_bytes(b"\x00\x00\x00\x18ftypqt  " + bytes(4000))
    run = run_stage(
        [images_ready("vid", upload(store, "vid", source), FAST, input_kind="video")], store, sfm_settings(tmp_path)
    )
    event = run.final("vid")
    assert isinstance(event, StageFailed) and event.data.reason == "unreadable_video"


def test_a_native_crash_becomes_stage_failed_and_the_worker_goes_on(tmp_path: Path) -> None:
    """A core that dies (as pycolmap can) gives StageFailed `sfm_crashed`; the next job is still handled."""

    def crashing(source: Path, work: Path, *args: object) -> SfmReport:
        if source.parent.name.startswith("crash-"):
            log = work / "colmap.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text("F0000 check failed")
            raise SfmError("sfm_crashed", "pycolmap died with SIGABRT", log)
        raise SfmError("sfm_timeout", "took too long")

    store = LocalStore(tmp_path / "store")
    spec = StageSpec(name="sfm", handle=make_handler(crashing))
    jobs = [images_ready(job, store.uri(f"jobs/{job}/images/"), FAST) for job in ("crash", "next")]
    run = run_stage(jobs, store, sfm_settings(tmp_path), spec=spec)
    reasons = {job: run.final(job).data.reason for job in ("crash", "next")}  # type: ignore[union-attr]
    assert reasons == {"crash": "sfm_crashed", "next": "sfm_timeout"}
    assert store.get_bytes("jobs/crash/sfm/colmap.log") == b"F0000 check failed"


def test_two_unrelated_photo_sets_are_reported_as_separate_groups(
    castle_dir: Path, fox_dir: Path, tmp_path: Path
) -> None:
    """Castle and fox photos together: SfmRejected `disconnected_scenes`, both groups named and modelled,
    after a second attempt whose progress continues where the first stopped."""
    source = folder(tmp_path, "mixed")
    downscale(castle_dir, source, sorted(p.name for p in castle_dir.iterdir())[:6], 640)
    copy_tree(fox_dir, source)
    for extra in sorted(source.glob("0*.jpg"))[6:]:
        extra.unlink()
    store = LocalStore(tmp_path / "store")
    job = images_ready("mixed", upload(store, "mixed", source), FAST)
    run = run_stage([job], store, sfm_settings(tmp_path))
    event = run.final("mixed")
    assert isinstance(event, SfmRejected) and event.data.reason == "disconnected_scenes", event
    report = stored_report(store, event.data.report_uri)
    groups = [set(c.images) for c in report.components if c.size >= 3]
    castle = {p.name for p in source.glob("100_*.JPG")}
    fox = {p.name for p in source.glob("0*.jpg")}
    assert len(groups) == 2 and castle in groups and fox in groups
    assert "2 unrelated groups" in " ".join(event.data.hints)
    assert [a.params.profile for a in report.attempts] == ["fast", "default"]
    fractions = [p.data.fraction for p in run.progress("mixed")]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(p.data.message.startswith("attempt 2 (default)") for p in run.progress("mixed"))
    assert {frozenset(m.image_names) for m in report.attempts[-1].models} == {frozenset(g) for g in groups}


def test_a_video_is_turned_into_frames_and_reconstructed(fox_dir: Path, tmp_path: Path) -> None:
    """A video object (with blurred frames) gives sharp frames, sequential pairing and a model."""
    video = write_video(sorted(fox_dir.glob("*.jpg")), tmp_path / "orbit.mp4", (270, 480), blurred_every=3)
    store = LocalStore(tmp_path / "store")
    store.put_file("jobs/vid/images/orbit.mp4", video)
    params = FAST.model_copy(update={"video_target_frames": 24})
    job = images_ready("vid", store.uri("jobs/vid/images/orbit.mp4"), params, input_kind="video")
    run = run_stage([job], store, sfm_settings(tmp_path))
    event = run.final("vid")
    assert isinstance(event, SfmCompleted), event
    report = stored_report(store, event.data.report_uri)
    assert report.video is not None and report.video.frames_kept >= 20
    assert report.attempts[0].pairing == "sequential"
    assert event.data.metrics.images_registered >= 0.9 * event.data.metrics.images_total
    assert event.data.images_uri.endswith("jobs/vid/sfm/images/")
    assert len(store.list_keys("jobs/vid/sfm/images/")) == event.data.metrics.images_total
