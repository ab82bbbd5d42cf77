"""Mapping on synthetic matches (no images): both mappers, and the guarded principal-point refinement."""

from collections.abc import Iterator
from pathlib import Path

import pycolmap
import pytest

from spaceport.params import SfmParams
from spaceport_sfm.evaluation import compare_poses, poses_of
from spaceport_sfm.mapping import PRINCIPAL_POINT_LIMIT, complete_largest, refine_principal_point, run_mapper

pytestmark = pytest.mark.unit
WIDTH, HEIGHT, FOCAL = 1024, 768, 900.0


@pytest.fixture(autouse=True)
def quiet_colmap() -> Iterator[None]:
    """Keep COLMAP's INFO lines out of the test output."""
    level = pycolmap.logging.minloglevel
    pycolmap.logging.minloglevel = 2
    yield
    pycolmap.logging.minloglevel = level


def synthetic_database(folder: Path, pp_offset: float, frames: int = 20) -> pycolmap.Reconstruction:
    """A database of noisy synthetic matches from a camera whose principal point is `pp_offset` px off centre.

    The database's camera starts at the image centre with a 10% wrong focal length, as COLMAP's prior would.
    """
    options = pycolmap.SyntheticDatasetOptions(
        num_rigs=1,
        num_cameras_per_rig=1,
        num_frames_per_rig=frames,
        num_points3D=300,
        camera_width=WIDTH,
        camera_height=HEIGHT,
        camera_params=[FOCAL, WIDTH / 2 + pp_offset, HEIGHT / 2 - pp_offset / 2, 0.0],
    )
    pycolmap.set_random_seed(0)
    with pycolmap.Database.open(folder / "database.db") as db:
        truth = pycolmap.synthesize_dataset(options, db)
        pycolmap.synthesize_noise(pycolmap.SyntheticNoiseOptions(point2D_stddev=0.5), truth, db)
        camera = db.read_all_cameras()[0]
        camera.params = [FOCAL * 1.1, WIDTH / 2, HEIGHT / 2, 0.0]
        db.update_camera(camera)
    return truth


@pytest.mark.parametrize("mapper", ["incremental", "global"])
def test_both_mappers_register_every_frame(tmp_path: Path, mapper: str) -> None:
    """Incremental and global mapping each put all 20 synthetic frames into one model."""
    synthetic_database(tmp_path, pp_offset=0.0)
    registered: list[int] = []
    models = run_mapper(
        tmp_path / "database.db", tmp_path, tmp_path / "out", SfmParams(mapper=mapper), 2, registered.append, 20
    )
    assert len(models) == 1 and models[0].num_reg_images() == 20
    assert mapper == "global" or registered[-1] >= 18


def test_refining_the_principal_point_removes_the_rotation_bias(tmp_path: Path) -> None:
    """A 12 px principal-point offset biases rotations; the final refinement finds it and removes the bias."""
    truth = synthetic_database(tmp_path, pp_offset=12.0)
    model = run_mapper(tmp_path / "database.db", tmp_path, tmp_path / "out", SfmParams(), 2, lambda n: None, 20)[0]
    before = compare_poses(poses_of(model), poses_of(truth)).median_rotation_error_deg
    refined, check = refine_principal_point(model, 2)
    after = compare_poses(poses_of(refined), poses_of(truth)).median_rotation_error_deg
    camera = next(iter(refined.cameras.values()))
    assert check.applied and before > 0.3 and after < 0.1
    assert abs(camera.principal_point_x - (WIDTH / 2 + 12)) < 2 and abs(camera.principal_point_y - (HEIGHT / 2 - 6)) < 2


def test_a_principal_point_that_moves_too_far_is_reverted(tmp_path: Path) -> None:
    """A refinement moving the principal point beyond 2% of the image size is not kept."""
    synthetic_database(tmp_path, pp_offset=40.0)
    model = run_mapper(tmp_path / "database.db", tmp_path, tmp_path / "out", SfmParams(), 2, lambda n: None, 20)[0]
    kept, check = refine_principal_point(model, 2)
    camera = next(iter(kept.cameras.values()))
    assert not check.applied and check.shift_px > check.limit_px == PRINCIPAL_POINT_LIMIT * WIDTH
    assert (camera.principal_point_x, camera.principal_point_y) == (WIDTH / 2, HEIGHT / 2)


def test_few_images_keep_the_centred_principal_point(tmp_path: Path) -> None:
    """With fewer than 15 registered images the principal point is left at the centre."""
    synthetic_database(tmp_path, pp_offset=12.0, frames=8)
    model = run_mapper(tmp_path / "database.db", tmp_path, tmp_path / "out", SfmParams(), 2, lambda n: None, 20)[0]
    kept, check = refine_principal_point(model, 2)
    assert not check.applied and kept is model and "not refined" in check.note


def stalled_models(folder: Path) -> list[pycolmap.Reconstruction]:
    """The synthetic database's model with frames 13-20 taken out (as a mapper that ran out of inliers at frame
    13 leaves it), and a secondary model of frames 11-20, as COLMAP's next model overlapping the first."""
    full = run_mapper(folder / "database.db", folder, folder / "full", SfmParams(), 2, lambda n: None, 20)[0]
    largest, secondary = pycolmap.Reconstruction(full), pycolmap.Reconstruction(full)
    for frame_id in full.reg_frame_ids():
        if frame_id > 12:
            largest.deregister_frame(frame_id)
        if frame_id < 11:
            secondary.deregister_frame(frame_id)
    return [largest, secondary]


def test_completion_registers_the_photos_the_mapper_left_out(tmp_path: Path) -> None:
    """Resumed from a stalled model, the completion pass registers every frame close to the truth and drops the
    secondary models whose photos all joined."""
    truth = synthetic_database(tmp_path, pp_offset=0.0)
    stalled = stalled_models(tmp_path)
    assert [model.num_reg_images() for model in stalled] == [12, 10]
    models = complete_largest(stalled, tmp_path / "database.db", tmp_path, tmp_path / "done", SfmParams(), 2, 20)
    errors = compare_poses(poses_of(models[0]), poses_of(truth))
    assert models[0].num_reg_images() == 20 and len(models) == 1
    assert errors.median_rotation_error_deg < 0.1, errors


def test_completion_leaves_a_complete_model_alone(tmp_path: Path) -> None:
    """A model that already holds every photo it can reach comes back unchanged (the same object)."""
    synthetic_database(tmp_path, pp_offset=0.0)
    full = run_mapper(tmp_path / "database.db", tmp_path, tmp_path / "out", SfmParams(), 2, lambda n: None, 20)
    again = complete_largest(full, tmp_path / "database.db", tmp_path, tmp_path / "done", SfmParams(), 2, 20)
    assert again[0] is full[0] and again[0].num_reg_images() == 20
