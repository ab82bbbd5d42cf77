"""Reading the scene: COLMAP model through pycolmap, lens mapping, held-out split, normalisation."""

from pathlib import Path

import numpy as np
import pytest

from spaceport.params import JobOptions
from spaceport.params.trainer import TrainParams
from spaceport_splats.cameras import lens_of
from spaceport_splats.colmap import CameraIntrinsics, SparseModel, read_sparse_model
from spaceport_splats.dataset import split_names, target_size
from spaceport_splats.normalize import fit_transform
from spaceport_splats.undistort import needs_undistortion, undistort

pytestmark = pytest.mark.unit


def test_sparse_model_is_read_with_poses_and_points(synthetic_scene: Path) -> None:
    """Cameras, name-sorted registered images with world-to-camera poses, and points come through."""
    model = read_sparse_model(synthetic_scene)
    assert model.num_points == 1200
    assert [im.name for im in model.images] == [f"{i:04d}.png" for i in range(12)]
    cam = model.cameras[1]
    assert cam.model == "SIMPLE_RADIAL" and (cam.width, cam.height) == (64, 48)
    rot = model.images[0].world_to_cam[:3, :3]
    assert np.allclose(rot @ rot.T, np.eye(3), atol=1e-9)
    assert (model.colors == 128).all()


@pytest.mark.parametrize(
    ("model", "params", "projection", "radial"),
    [
        ("SIMPLE_RADIAL", {"f": 1, "cx": 1, "cy": 1, "k1": 0.1}, "pinhole", (0.1, 0, 0, 0, 0, 0)),
        (
            "OPENCV",
            {"fx": 1, "fy": 1, "cx": 1, "cy": 1, "k1": 0.1, "k2": 0.2, "p1": 0.0, "p2": 0.0},
            "pinhole",
            (0.1, 0.2, 0, 0, 0, 0),
        ),
        (
            "OPENCV_FISHEYE",
            {"fx": 1, "fy": 1, "cx": 1, "cy": 1, "k1": 0.1, "k2": 0.2, "k3": 0.3, "k4": 0.4},
            "fisheye",
            (0.1, 0.2, 0.3, 0.4),
        ),
    ],
)
def test_colmap_lenses_map_to_renderer_lenses(
    model: str, params: dict[str, float], projection: str, radial: tuple[float, ...]
) -> None:
    """Each supported COLMAP model becomes a projection with OpenCV-ordered coefficients."""
    lens = lens_of(CameraIntrinsics(model, 10, 10, params))
    assert lens is not None and lens.projection == projection and lens.radial == radial


def test_unsupported_lens_is_left_to_undistortion() -> None:
    """A FOV camera has no renderer lens: the trainer undistorts such photos first."""
    assert lens_of(CameraIntrinsics("FOV", 10, 10, {"p0": 1.0})) is None


RADIAL = CameraIntrinsics("SIMPLE_RADIAL", 10, 10, {"f": 1, "cx": 1, "cy": 1, "k1": 0.01})
FISHEYE = CameraIntrinsics(
    "OPENCV_FISHEYE", 10, 10, {"fx": 1, "fy": 1, "cx": 1, "cy": 1, "k1": 0.1, "k2": 0, "k3": 0, "k4": 0}
)
PINHOLE = CameraIntrinsics("PINHOLE", 10, 10, {"fx": 1, "fy": 1, "cx": 1, "cy": 1})
FOV = CameraIntrinsics("FOV", 10, 10, {"f": 1, "cx": 1, "cy": 1, "omega": 0.5})


@pytest.mark.parametrize(
    ("cameras", "handling", "on_gpu", "expected"),
    [
        ([RADIAL], "auto", True, True),  # GPU: classic rasterizer, the one web viewers draw with
        ([RADIAL], "auto", False, False),  # CPU: the linearised lens on the photos as they are
        ([RADIAL], "original", True, False),  # 3DGUT on the original photos, when asked for
        ([RADIAL], "undistort", False, True),
        ([RADIAL, FISHEYE], "auto", True, False),  # a fisheye keeps 3DGUT's whole field of view
        ([PINHOLE], "undistort", True, False),  # nothing to undistort
        ([FOV], "original", False, True),  # no renderer takes FOV: always undistorted
    ],
)
def test_undistortion_policy(cameras: list[CameraIntrinsics], handling: str, on_gpu: bool, expected: bool) -> None:
    """Which lens, camera setting and device lead to undistorted photos."""
    model = SparseModel(
        cameras=dict(enumerate(cameras, start=1)), images=[], points=np.zeros((0, 3)), colors=np.zeros((0, 3))
    )
    assert needs_undistortion(model, handling, on_gpu) is expected  # type: ignore[arg-type]


def test_every_eighth_image_by_name_is_held_out() -> None:
    """Sorted by name, indices 0, 8, 16, ... are held out: 7 of fox's 50 photos."""
    names = [f"{i:04d}.jpg" for i in range(50, 0, -1)]
    train, test = split_names(names, 8)
    assert test == ["0001.jpg", "0009.jpg", "0017.jpg", "0025.jpg", "0033.jpg", "0041.jpg", "0049.jpg"]
    assert len(train) == 43 and not set(train) & set(test)


def test_target_size_rounds_like_gsplat_then_caps_the_long_side() -> None:
    """1080x1920 at factor 2 is 540x960; capped to 320 it keeps the aspect ratio."""
    assert target_size(1080, 1920, 2, None) == (540, 960)
    assert target_size(2832, 2128, 8, 320) == (320, 240)


def test_normalisation_centres_cameras_at_unit_median_distance(synthetic_scene: Path) -> None:
    """Camera centres end up around the origin at median distance 1, and points map back exactly."""
    model = read_sparse_model(synthetic_scene)
    t = fit_transform([im.world_to_cam for im in model.images], model.points)
    centers = np.stack([t.viewmat_to_normalised(im.world_to_cam) for im in model.images])
    c = np.stack([-m[:3, :3].T @ m[:3, 3] for m in centers])
    assert np.allclose(c.mean(axis=0), 0, atol=1e-9)
    assert np.isclose(np.median(np.linalg.norm(c, axis=1)), 1.0)
    assert np.allclose(t.points_to_world(t.points_to_normalised(model.points)), model.points)


def test_presets_resolve_and_round_trip() -> None:
    """Each preset is a full parameter set that survives JSON, and pipeline presets carry it."""
    for name in ("preview", "standard", "quality"):
        p = TrainParams.preset_named(name)  # type: ignore[arg-type]
        assert p.preset == name
        assert TrainParams.model_validate_json(p.model_dump_json()) == p
        assert JobOptions.for_preset(name).trainer == p  # type: ignore[arg-type]
    assert TrainParams.preset_named("preview").steps < TrainParams.preset_named("standard").steps
    assert TrainParams.preset_named("quality").steps == 30_000


def test_undistorting_named_photos_keeps_the_whole_model(synthetic_scene: Path, tmp_path: Path) -> None:
    """`only` undistorts just the named photos (the held-out ones, say); the model keeps every image, as pinhole."""
    scene = synthetic_scene
    model_dir, images_dir = undistort(scene / "sparse" / "0", scene / "images", tmp_path, ["0008.png"])
    assert [p.name for p in images_dir.iterdir()] == ["0008.png"]
    model = read_sparse_model(model_dir)
    assert len(model.images) == len(read_sparse_model(synthetic_scene / "sparse" / "0").images)
    assert {cam.model for cam in model.cameras.values()} == {"PINHOLE"}


def test_the_defaults_are_the_standard_preset() -> None:
    """`TrainParams()` (the event catalogue's default) is exactly the preset it is labelled with."""
    assert TrainParams() == TrainParams.preset_named("standard")
    assert TrainParams().preset == "standard" and TrainParams().steps == 10_000
