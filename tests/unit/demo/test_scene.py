"""generate_scene writes deterministic photos whose ground truth matches what was drawn."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from spaceport_app.demo import CAPTURES, DemoScene, build_world, generate_scene, load_ground_truth, render_view
from spaceport_app.demo.primitives import Sphere
from spaceport_app.demo.textures import Texture
from tests.unit.demo.conftest import SMALL, tree_bytes
from tests.unit.demo.helpers import colmap_project

pytestmark = pytest.mark.unit

MARKER_RADIUS = 0.05


def test_same_seed_same_bytes_other_seed_other_photos(small_scene: DemoScene, tmp_path: Path) -> None:
    """Generating twice with one seed gives identical files; another seed gives different photos."""
    again = generate_scene(tmp_path / "again", **SMALL)
    assert tree_bytes(again.root) == tree_bytes(small_scene.root)
    other = generate_scene(tmp_path / "other", **{**SMALL, "seed": SMALL["seed"] + 1})
    first, second = tree_bytes(small_scene.images_dir), tree_bytes(other.images_dir)
    assert first.keys() == second.keys()
    assert all(first[name] != second[name] for name in first)


@pytest.mark.parametrize("capture", ["moving-object", "exposure-jitter"])
def test_worker_processes_write_the_same_bytes(capture: str, tmp_path: Path) -> None:
    """Views rendered in two worker processes give the same photos, masks and clean copies as in one process."""
    scene = {"views": 16, "width": 48, "height": 36, "supersample": 1, "capture": CAPTURES[capture]}
    alone = generate_scene(tmp_path / "alone", **scene)
    spread = generate_scene(tmp_path / "spread", workers=2, **scene)
    files = tree_bytes(alone.root)
    assert len(files) > 16 and files == tree_bytes(spread.root)


def test_photos_decode_at_the_asked_size(small_scene: DemoScene) -> None:
    """There is one decodable RGB JPEG per view, of the asked width and height, and nothing else."""
    files = sorted(p.name for p in small_scene.images_dir.iterdir())
    assert files == sorted(small_scene.poses) and len(files) == SMALL["views"]
    for path in small_scene.image_paths:
        with Image.open(path) as im:
            im.load()
            assert (im.format, im.mode, im.size) == ("JPEG", "RGB", (SMALL["width"], SMALL["height"]))


def test_ground_truth_file_round_trips(small_scene: DemoScene) -> None:
    """load_ground_truth gives back the intrinsics and poses generate_scene returned; rotations are proper."""
    loaded = load_ground_truth(small_scene.ground_truth_path)
    assert loaded.intrinsics == small_scene.intrinsics and loaded.seed == SMALL["seed"]
    assert list(loaded.poses) == list(small_scene.poses)
    for name, pose in loaded.poses.items():
        np.testing.assert_allclose(pose.R, small_scene.poses[name].R, atol=1e-15)
        np.testing.assert_allclose(pose.t, small_scene.poses[name].t, atol=1e-15)
        np.testing.assert_allclose(pose.R @ pose.R.T, np.eye(3), atol=1e-12)
        assert np.linalg.det(pose.R) == pytest.approx(1.0)


def test_malformed_ground_truth_is_refused(small_scene: DemoScene, tmp_path: Path) -> None:
    """A ground-truth file with a pose lacking its translation raises ValueError."""
    doc = json.loads(small_scene.ground_truth_path.read_text())
    del doc["images"][next(iter(doc["images"]))]["t"]
    bad = tmp_path / "ground_truth.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="t"):
        load_ground_truth(bad)


def luma(rgb: np.ndarray) -> np.ndarray:
    """Pillow's L conversion of an RGB array, as float: [H, W]."""
    return np.asarray(Image.fromarray(rgb).convert("L"), np.float32)


def test_written_photos_are_the_views_from_the_recorded_poses(small_scene: DemoScene) -> None:
    """Re-rendering each recorded pose matches its JPEG's luma within 4 levels on average; 1 px off does not."""
    truth = load_ground_truth(small_scene.root)
    world = build_world(truth.seed)
    for name, pose in truth.poses.items():
        with Image.open(truth.images_dir / name) as im:
            photo = luma(np.asarray(im))
        drawn = luma(render_view(world, truth.intrinsics, pose).rgb)
        same = np.mean(np.abs(photo - drawn))
        shifted = np.mean(np.abs(photo[:, 1:] - drawn[:, :-1]))
        assert same < 4.0 < shifted, (name, same, shifted)


def _visible_marker_centroids(ids: np.ndarray, depth: np.ndarray, s: int, first: int) -> dict[int, np.ndarray]:
    """Pixel centroids of the markers seen whole: not cut by the image edge, nothing nearer around them."""
    found = {}
    for marker in np.unique(ids[ids >= first]):
        mask = ids == marker
        rows, cols = np.nonzero(mask)
        if rows.min() == 0 or cols.min() == 0 or rows.max() == ids.shape[0] - 1 or cols.max() == ids.shape[1] - 1:
            continue
        ring = np.zeros_like(mask)
        ring[1:-1, 1:-1] = mask[:-2, 1:-1] | mask[2:, 1:-1] | mask[1:-1, :-2] | mask[1:-1, 2:]
        ring &= ~mask
        if np.any(depth[ring] < depth[mask].max() + MARKER_RADIUS):
            continue
        found[int(marker)] = np.array([(cols.mean() + 0.5) / s, (rows.mean() + 0.5) / s])
    return found


def test_ground_truth_projects_markers_to_where_they_are_drawn(small_scene: DemoScene) -> None:
    """Added marker spheres are drawn within 0.2 px of their centres' SIMPLE_RADIAL projection, all views."""
    truth = load_ground_truth(small_scene.root)
    rng = np.random.default_rng(11)
    centres = np.column_stack([rng.uniform(-1.5, 1.5, (12, 2)), rng.uniform(1.9, 2.1, 12)]).astype(np.float32)
    paint = Texture(np.full((2, 2, 3), 255, np.uint8))
    base = build_world(truth.seed)
    first = len(base.primitives)
    world = base.with_objects(tuple(Sphere(c, MARKER_RADIUS, np.eye(3, dtype=np.float32), paint) for c in centres))
    checked = 0
    for pose in truth.poses.values():
        view = render_view(world, truth.intrinsics, pose, supersample=2)
        for marker, centroid in _visible_marker_centroids(view.ids, view.depth, 2, first).items():
            expected = colmap_project(truth.intrinsics, pose.to_camera(centres[marker - first : marker - first + 1]))
            assert np.linalg.norm(centroid - expected[0]) < 0.2, (marker, centroid, expected)
            checked += 1
    assert checked >= 10, f"only {checked} whole markers in view"


def test_regenerating_replaces_the_earlier_scene(small_scene: DemoScene, tmp_path: Path) -> None:
    """Generating where a larger scene was leaves only the new photos and the new truth."""
    (tmp_path / "images").mkdir()
    for path in small_scene.image_paths:
        (tmp_path / "images" / path.name).write_bytes(path.read_bytes())
    (tmp_path / "ground_truth.json").write_bytes(small_scene.ground_truth_path.read_bytes())
    scene = generate_scene(tmp_path, views=3, seed=2, width=64, height=48, supersample=1)
    assert sorted(p.name for p in scene.images_dir.iterdir()) == sorted(scene.poses)
    reloaded = load_ground_truth(tmp_path)
    assert reloaded.seed == 2 and list(reloaded.poses) == list(scene.poses) and len(scene.poses) == 3


def test_foreign_files_and_too_few_views_are_refused(tmp_path: Path) -> None:
    """generate_scene will not mix its views with other photos, and needs at least 3 views."""
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "holiday.jpg").write_bytes(b"not ours")
    with pytest.raises(FileExistsError, match=r"holiday\.jpg"):
        generate_scene(tmp_path, views=4, width=64, height=48, supersample=1)
    with pytest.raises(ValueError, match="at least 3"):
        generate_scene(tmp_path / "other", views=2)
