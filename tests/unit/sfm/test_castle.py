"""sceaux_castle (downscaled) through the SfM stage, with broken files mixed into the upload."""

import csv
import io
from pathlib import Path

import pycolmap
import pytest

from spaceport.events import SfmCompleted
from spaceport.params import SfmParams
from spaceport.storage import LocalStore
from spaceport_sfm.report import SfmReport
from tests.unit.sfm.harness import StageRun, run_stage
from tests.unit.sfm.scenes import copy_tree, images_ready, sfm_settings, tiny_image, truncated_copy, upload

pytestmark = pytest.mark.unit
JOB = "castle-1"


@pytest.fixture(scope="module")
def castle_run(castle_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[StageRun, LocalStore]:
    """One fast-profile job on the 11 castle photos plus a truncated JPEG, a text file and a 1x1 image."""
    tmp = tmp_path_factory.mktemp("castle-run")
    upload_dir = copy_tree(castle_dir, tmp / "upload")
    truncated_copy(castle_dir / "100_7105.JPG", upload_dir / "broken.jpg")
    (upload_dir / "notes.jpg").write_text("a text file named like a photo")
    tiny_image(upload_dir / "dot.png")
    store = LocalStore(tmp / "store")
    uri = upload(store, JOB, upload_dir)
    run = run_stage([images_ready(JOB, uri, SfmParams.preset("fast"), count=14)], store, sfm_settings(tmp))
    return run, store


def completed(castle_run: tuple[StageRun, LocalStore]) -> SfmCompleted:
    event = castle_run[0].final(JOB)
    assert isinstance(event, SfmCompleted), event
    return event


def stored_report(castle_run: tuple[StageRun, LocalStore]) -> SfmReport:
    store = castle_run[1]
    return SfmReport.model_validate_json(store.get_bytes(store.key_of(completed(castle_run).data.report_uri)))


def test_castle_registers_at_least_10_of_11_with_1000_points(castle_run: tuple[StageRun, LocalStore]) -> None:
    """The stage completes with >= 10 of the 11 photos registered and >= 1000 3D points."""
    metrics = completed(castle_run).data.metrics
    assert metrics.images_total == 11 and metrics.images_registered >= 10 and metrics.points3d >= 1000
    assert 0 < metrics.mean_reprojection_error_px < 2.0 and metrics.mean_track_length > 2.0


def test_broken_files_are_skipped_and_reported(castle_run: tuple[StageRun, LocalStore]) -> None:
    """The truncated JPEG, the text file and the 1x1 image are skipped with reasons; the job goes on."""
    skipped = {item.name: item.reason for item in stored_report(castle_run).skipped}
    assert skipped == {"broken.jpg": "corrupt", "notes.jpg": "not_an_image", "dot.png": "too_small"}


def test_sparse_model_is_stored_and_readable(castle_run: tuple[StageRun, LocalStore], tmp_path: Path) -> None:
    """sparse/0 holds a COLMAP binary model with the real camera model and its distortion."""
    store = castle_run[1]
    prefix = store.key_of(completed(castle_run).data.sparse_uri)
    for key in store.list_keys(prefix):
        store.get_file(key, tmp_path / key[len(prefix) :])
    model = pycolmap.Reconstruction(tmp_path)
    camera = next(iter(model.cameras.values()))
    assert model.num_reg_images() == completed(castle_run).data.metrics.images_registered
    assert camera.model.name == "SIMPLE_RADIAL" and abs(camera.params[3]) > 0.01


def test_log_report_and_diagnostics_are_kept(castle_run: tuple[StageRun, LocalStore]) -> None:
    """COLMAP's own log, the report, the parameters and a per-image diagnostics table sit beside the model."""
    store = castle_run[1]
    keys = set(store.list_keys(f"jobs/{JOB}/sfm/"))
    names = ("report.json", "colmap.log", "diagnostics.csv", "params.json")
    assert {f"jobs/{JOB}/sfm/{name}" for name in names} <= keys
    assert b"Feature extraction" in store.get_bytes(f"jobs/{JOB}/sfm/colmap.log")
    rows = list(csv.DictReader(io.StringIO(store.get_bytes(f"jobs/{JOB}/sfm/diagnostics.csv").decode())))
    registered = [row for row in rows if row["outcome"] == "registered"]
    assert len(rows) == 14 and len(registered) >= 10
    assert all(int(row["keypoints"]) > 100 for row in registered)


def test_progress_is_published_in_steps(castle_run: tuple[StageRun, LocalStore]) -> None:
    """StageProgress goes out while SfM works, ending at 1.0, naming the extraction and mapping steps."""
    progress = castle_run[0].progress(JOB)
    fractions = [p.data.fraction for p in progress]
    assert len(progress) >= 3 and fractions == sorted(fractions) and fractions[-1] == 1.0
    assert {"extraction", "mapping"} <= {p.data.step for p in progress}


def test_untouched_photos_keep_their_original_uri(castle_run: tuple[StageRun, LocalStore]) -> None:
    """Photos SfM did not rewrite are not copied: SfmCompleted points at the uploaded folder."""
    assert completed(castle_run).data.images_uri.endswith(f"jobs/{JOB}/images/")
