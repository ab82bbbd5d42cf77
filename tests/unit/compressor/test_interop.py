"""Interoperability with PlayCanvas's splat-transform 3.7.0 (`-g cpu`): it decodes ours, we decode its."""

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from spaceport.params.compressor import CompressParams
from spaceport_compressor import codebook
from spaceport_compressor.compression import compress
from spaceport_compressor.decoder import read_sog
from spaceport_compressor.fidelity import measure, rotation_error_deg
from spaceport_compressor.matching import match_by_position
from spaceport_compressor.ply import read_ply, write_ply
from spaceport_compressor.sink import FolderSink, TeeSink, ZipSink
from spaceport_compressor.splats import SplatCloud
from spaceport_compressor.synthetic import synthetic_splats
from tests.browser.tools import require, splat_transform

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def ours(ply_sh3: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Our SOG of the SH3 scene, as a folder (`sog/`) and a bundle (`scene.sog`)."""
    require("node", "splat-transform")
    work = tmp_path_factory.mktemp("ours")
    compress(ply_sh3, TeeSink(FolderSink(work / "sog"), ZipSink(work / "scene.sog")))
    return work


def assert_same_splats(a: SplatCloud, b: SplatCloud) -> None:
    """Two decodes of one SOG agree to float32 precision, row by row."""
    assert a.count == b.count and a.sh_bands == b.sh_bands
    assert np.allclose(a.means, b.means, rtol=1e-6, atol=1e-6)
    assert rotation_error_deg(a.quats, b.quats).max() < 1e-3
    assert np.allclose(a.log_scales, b.log_scales, atol=1e-6)
    assert np.allclose(a.f_dc, b.f_dc, atol=1e-6)
    assert np.allclose(a.opacity, b.opacity, atol=1e-4)
    assert np.allclose(a.sh_rest, b.sh_rest, atol=1e-6)


@pytest.mark.parametrize("form", ["scene.sog", "sog/meta.json"])
def test_splat_transform_decodes_our_sog_as_we_do(ours: Path, tmp_path: Path, form: str) -> None:
    """splat-transform turns our bundle and our meta.json folder into a PLY equal to our decoder's output."""
    back = tmp_path / "back.ply"
    splat_transform(ours / form, back)
    theirs = read_ply(back)
    assert theirs.dropped == 0
    assert_same_splats(theirs.splats, read_sog(ours / form))


def test_splat_transform_decodes_a_trimmed_sog_as_we_do(ply_sh3: Path, tmp_path: Path) -> None:
    """Every precision trim on (splats left out, coarse codes, fewer levels, weighted palette) still gives a
    SOG that splat-transform decodes exactly as our decoder does."""
    require("node", "splat-transform")
    params = CompressParams(
        min_opacity=0.05,
        position_tolerance=0.3,
        rotation_tolerance=0.3,
        scale_levels=64,
        color_levels=64,
        weighted_palette=True,
    )
    report = compress(ply_sh3, ZipSink(tmp_path / "trimmed.sog"), params)
    assert report.metrics.splats < read_ply(ply_sh3).splats.count
    splat_transform(tmp_path / "trimmed.sog", tmp_path / "back.ply")
    assert_same_splats(read_ply(tmp_path / "back.ply").splats, read_sog(tmp_path / "trimmed.sog"))


def test_we_decode_splat_transforms_sog(tmp_path: Path) -> None:
    """Our reader decodes a splat-transform SOG (SH1) exactly as splat-transform does, near the source."""
    require("node", "splat-transform")
    source = synthetic_splats(2500, 1, seed=21)
    write_ply(tmp_path / "in.ply", source)
    splat_transform(tmp_path / "in.ply", tmp_path / "ref.sog")
    splat_transform(tmp_path / "ref.sog", tmp_path / "ref.ply")
    decoded = read_sog(tmp_path / "ref.sog")
    assert_same_splats(decoded, read_ply(tmp_path / "ref.ply").splats)
    match = match_by_position(source, decoded)
    assert match.unique
    detail = measure(source.take(match.index), decoded)
    assert detail.position_rel.max < 2e-4 and detail.rotation_deg.max < 2.0
    assert detail.sh_rel_rmse is not None and detail.sh_rel_rmse < 0.5


def test_our_errors_are_no_larger_than_splat_transforms(ply_sh0: Path, tmp_path: Path) -> None:
    """On one scene (no SH), our mean position, rotation and opacity errors are at most half the reference's."""
    require("node", "splat-transform")
    source = read_ply(ply_sh0).splats
    splat_transform(ply_sh0, tmp_path / "ref.sog")
    ref = read_sog(tmp_path / "ref.sog")
    theirs = measure(source.take(match_by_position(source, ref).index), ref)
    report = compress(ply_sh0, ZipSink(tmp_path / "ours.sog"))
    mine = report.fidelity
    assert mine is not None
    for name in ("position_rel", "rotation_deg", "opacity"):
        assert getattr(mine, name).mean < 0.6 * getattr(theirs, name).mean, name


def test_coarse_histogram_reproduces_splat_transforms_codebooks(
    ply_sh0: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With splat-transform's 1,024 bins our DP gives its scale and colour codebooks bit for bit."""
    require("node", "splat-transform")
    splat_transform(ply_sh0, tmp_path / "ref.sog")
    meta = json.loads(zipfile.ZipFile(tmp_path / "ref.sog").read("meta.json"))
    source = read_ply(ply_sh0).splats
    monkeypatch.setattr(codebook, "HISTOGRAM_BINS", 1024)
    assert codebook.fit_codebook(source.log_scales).tolist() == meta["scales"]["codebook"]
    assert codebook.fit_codebook(source.f_dc).tolist() == meta["sh0"]["codebook"]
