"""PlayCanvas's splat-transform 3.7.0 (`-g cpu`) reads our streamed SOG: every level, each as our reader does."""

import json
from pathlib import Path

import numpy as np
import pytest

from spaceport.params.compressor import CompressParams
from spaceport_compressor.lod_chunks import ChunkParams
from spaceport_compressor.lod_reader import read_streamed_sog
from spaceport_compressor.lod_writer import write_streamed_sog
from spaceport_compressor.matching import match_by_position
from spaceport_compressor.ply import read_ply
from spaceport_compressor.sink import FolderSink
from spaceport_compressor.synthetic import synthetic_splats
from tests.browser.tools import require, splat_transform

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def lod_meta(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 12k-splat model with one SH band as a streamed SOG in 2k-splat chunks."""
    require("node", "splat-transform")
    folder = tmp_path_factory.mktemp("lod-interop") / "lod"
    params = CompressParams(sh_bands=1, lod_coarsest=800)
    write_streamed_sog(synthetic_splats(12_000, 1, seed=11), FolderSink(folder), params, ChunkParams(2048, 16.0, 512))
    return folder / "lod-meta.json"


def test_splat_transform_sees_our_levels(lod_meta: Path) -> None:
    """Its --info reports our format, level count and per-level splat counts."""
    meta, _ = read_streamed_sog(lod_meta)
    run = splat_transform(lod_meta, "--info", "json", "null")
    info = json.loads(run.stdout[run.stdout.index("{") : run.stdout.rindex("}") + 1])
    assert info["format"] == "lod" and info["numLods"] == meta.lodLevels >= 3
    assert info["lodCounts"] == list(meta.counts) and info["shBands"] == 1


def test_splat_transform_decodes_each_level_as_we_do(lod_meta: Path, tmp_path: Path) -> None:
    """Each level it writes out as PLY holds the same splats our reader gives, to float32 precision."""
    _, levels = read_streamed_sog(lod_meta)
    for level, ours in enumerate(levels):
        ply = tmp_path / f"level{level}.ply"
        splat_transform(lod_meta, "-L", str(level), ply)
        theirs = read_ply(ply).splats
        assert theirs.count == ours.count
        match = match_by_position(ours, theirs)
        assert match.unique
        same = ours.take(match.index)
        assert np.allclose(same.means, theirs.means, atol=1e-5)
        assert np.allclose(same.log_scales, theirs.log_scales, atol=1e-5)
        assert np.allclose(same.f_dc, theirs.f_dc, atol=1e-5)
        assert np.allclose(same.sh_rest, theirs.sh_rest, atol=1e-5)
        assert np.abs(same.opacity - theirs.opacity).max() < 1e-3
