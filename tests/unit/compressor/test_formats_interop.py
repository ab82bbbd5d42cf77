"""Readers we did not write: splat-transform 3.7.0 reads our SPZ, Babylon.js 9.28 reads our `.glb`, the Khronos
glTF-Validator checks it, and we read what splat-transform writes in both formats."""

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from spaceport_compressor.frames import convert
from spaceport_compressor.gltf import encode_glb, read_glb
from spaceport_compressor.ply import read_ply, write_ply
from spaceport_compressor.spz import encode_spz, read_spz
from spaceport_compressor.synthetic import synthetic_splats
from tests.browser.tools import REPO, require, splat_transform
from tests.unit.compressor.splat_views import assert_same_scene, assert_within_spz_steps, covariances, sigmoid

pytestmark = pytest.mark.unit
SCRIPTS = REPO / "tests" / "browser" / "formats"
EXT = "KHR_gaussian_splatting"


def node(script: str, *args: str | Path, timeout_s: float = 120) -> str:
    """Run one of our node scripts; its stdout, or an AssertionError with its output."""
    run = subprocess.run(
        ["node", str(SCRIPTS / script), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=REPO,
        check=False,
    )
    assert run.returncode == 0, f"{script} failed ({run.returncode}):\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}"
    return run.stdout


@pytest.mark.parametrize("version", [2, 3])
def test_splat_transform_reads_our_spz_in_rub_axes(version: int, tmp_path: Path) -> None:
    """splat-transform decodes our SPZ (as it is, no axis change) to the scene turned into RUB, within SPZ's steps."""
    require("node", "splat-transform")
    scene = synthetic_splats(3000, 3, seed=31)
    (tmp_path / "ours.spz").write_bytes(encode_spz(scene, version=version))
    splat_transform(tmp_path / "ours.spz", tmp_path / "theirs.ply")
    theirs = read_ply(tmp_path / "theirs.ply").splats
    assert np.abs(theirs.means - scene.means * [1, -1, -1]).max() <= 0.5 / 4096 + 1e-5  # y up, z back
    assert_within_spz_steps(convert(scene, "RDF", "RUB"), theirs, version)


def test_splat_transform_reads_ply_axes_spz_as_the_ply(tmp_path: Path) -> None:
    """With axes="ply" the bytes keep the .ply's axes, which splat-transform decodes to the .ply's own numbers."""
    require("node", "splat-transform")
    scene = synthetic_splats(2000, 2, seed=36)
    (tmp_path / "ours.spz").write_bytes(encode_spz(scene, axes="ply"))
    splat_transform(tmp_path / "ours.spz", tmp_path / "theirs.ply")
    assert_within_spz_steps(scene, read_ply(tmp_path / "theirs.ply").splats, 3)


def test_we_read_splat_transforms_spz(tmp_path: Path) -> None:
    """Our reader decodes splat-transform's SPZ 3 (written in the .ply's own axes) within SPZ's steps."""
    require("node", "splat-transform")
    scene = synthetic_splats(3000, 3, seed=32)
    write_ply(tmp_path / "in.ply", scene)
    splat_transform("--spz-version", "3", tmp_path / "in.ply", tmp_path / "theirs.spz")
    header, ours = read_spz((tmp_path / "theirs.spz").read_bytes(), axes="ply")
    assert header.version == 3
    assert_within_spz_steps(scene, ours, 3)


def babylon_decode(glb: Path, out: Path) -> dict[str, np.ndarray]:
    """What Babylon.js's glTF loader built from `glb`: positions, scales, RGBA and quaternion bytes, SH bytes."""
    require("node", "babylon")
    node("read_glb_babylon.mjs", glb, out)
    meta = json.loads((out / "meta.json").read_text())
    rows = np.fromfile(out / "splats.bin", np.uint8).reshape(meta["count"], 32)
    floats = rows[:, :24].copy().view("<f4")
    sh = np.fromfile(out / "sh.bin", np.uint8).reshape(meta["count"], meta["shBytes"])
    return {"position": floats[:, :3], "scale": floats[:, 3:6], "rgba": rows[:, 24:28], "wxyz": rows[:, 28:], "sh": sh}


def test_babylon_reads_our_glb(tmp_path: Path) -> None:
    """Babylon.js's KHR_gaussian_splatting loader gets our splats: positions in glTF axes, and every attribute."""
    scene = synthetic_splats(2000, 3, seed=33)
    (tmp_path / "ours.glb").write_bytes(encode_glb(scene))
    theirs = babylon_decode(tmp_path / "ours.glb", tmp_path / "babylon")
    gltf = convert(scene, "RDF", "LUF")
    assert np.array_equal(theirs["position"], scene.means * np.float32([-1, -1, 1]))  # x left, y up, z forward
    assert np.allclose(theirs["scale"], np.exp(scene.log_scales), rtol=1e-6)
    colour = np.clip((0.5 + 0.28209479177387814 * scene.f_dc) * 255, 0, 255)
    assert np.abs(theirs["rgba"][:, :3] - colour).max() <= 1.0
    assert np.abs(theirs["rgba"][:, 3] - sigmoid(scene.opacity) * 255).max() <= 1.0
    unit = gltf.quats / np.linalg.norm(gltf.quats, axis=1, keepdims=True)
    assert np.abs(theirs["wxyz"] / 127.5 - 1 - unit).max() <= 1 / 127.5
    coefficient_major = gltf.sh_rest.reshape(2000, 3, 15).transpose(0, 2, 1).reshape(2000, 45)
    expected = np.clip(coefficient_major, -1, 127 / 128)
    assert np.abs((theirs["sh"][:, :45].astype(np.float64) - 128) / 128 - expected).max() <= 1 / 128 + 1e-6


def test_gltf_validator_finds_nothing_wrong_but_the_extension_it_does_not_know(tmp_path: Path) -> None:
    """The Khronos validator checks chunks, views, accessors and bounds: its only errors are the extension's names."""
    require("node", "gltf-validator")
    (tmp_path / "ours.glb").write_bytes(encode_glb(synthetic_splats(500, 2, seed=34)))
    issues = json.loads(node("validate_glb.mjs", tmp_path / "ours.glb"))
    errors = [m for m in issues["messages"] if m["severity"] == 0]
    assert issues["numWarnings"] == 0, issues["messages"]
    assert len(errors) == issues["numErrors"] == 4 + 3 + 5  # SCALE, ROTATION, OPACITY, SH degree 0, 1, 2
    for error in errors:
        assert error["code"] == "MESH_PRIMITIVE_INVALID_ATTRIBUTE" and f"/attributes/{EXT}:" in error["pointer"]


def test_we_read_splat_transforms_glb(tmp_path: Path) -> None:
    """Our reader turns splat-transform's .glb back into the .ply it came from (same ellipsoids and colours)."""
    require("node", "splat-transform")
    scene = synthetic_splats(2000, 3, seed=35)
    write_ply(tmp_path / "in.ply", scene)
    splat_transform(tmp_path / "in.ply", tmp_path / "theirs.glb")
    ours = read_glb((tmp_path / "theirs.glb").read_bytes())
    assert_same_scene(scene, ours, (1, 1, 1), atol=1e-4)
    assert np.allclose(sigmoid(ours.opacity), sigmoid(scene.opacity), atol=1e-6)
    assert np.allclose(covariances(ours), covariances(scene), atol=1e-9)
