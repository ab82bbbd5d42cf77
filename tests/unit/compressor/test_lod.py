"""The streamed SOG (lod-meta.json + chunked levels): levels, partition, manifest, and our reader."""

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from spaceport.params.compressor import CompressParams
from spaceport_compressor.decoder import read_sog
from spaceport_compressor.lod_chunks import ChunkParams, splat_boxes
from spaceport_compressor.lod_levels import build_levels, merge_groups, rotation_matrices
from spaceport_compressor.lod_meta import LodFormatError, LodNode, leaf_runs, read_lod_meta
from spaceport_compressor.lod_reader import read_streamed_sog
from spaceport_compressor.lod_writer import StreamedSog, write_streamed_if_large, write_streamed_sog
from spaceport_compressor.matching import match_by_position
from spaceport_compressor.quantize import encode_opacity
from spaceport_compressor.sink import FolderSink
from spaceport_compressor.splats import SplatCloud
from spaceport_compressor.synthetic import synthetic_splats

pytestmark = pytest.mark.unit

SMALL_CHUNKS = ChunkParams(chunk_splats=4096, chunk_extent=16.0, chunk_min_splats=1024)
PARAMS = CompressParams(sh_bands=1, lod_coarsest=1000, lod_ratio=4.0)


@pytest.fixture(scope="module")
def scene() -> SplatCloud:
    """20,000 splats with one SH band."""
    return synthetic_splats(20_000, 1, seed=3)


@pytest.fixture(scope="module")
def written(scene: SplatCloud, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, StreamedSog]:
    """`scene` as a streamed SOG in small chunks."""
    folder = tmp_path_factory.mktemp("lod") / "lod"
    return folder, write_streamed_sog(scene, FolderSink(folder), PARAMS, SMALL_CHUNKS)


def test_levels_shrink_by_the_ratio(scene: SplatCloud) -> None:
    """Each coarser level keeps about 1/ratio of the splats before it, down to the coarsest floor."""
    counts = [level.count for level in build_levels(scene, 4.0, 1000, 8)]
    assert counts[0] == scene.count and len(counts) >= 3
    for finer, coarser in itertools.pairwise(counts):
        assert 0.2 < coarser / finer < 0.3
    assert counts[-2] > 1000 >= counts[-1] or len(counts) == 8


def test_merge_matches_moments() -> None:
    """Two splats merged become one at their weighted mean, covering both, with their colour averaged."""
    pair = SplatCloud(
        means=np.array([[0, 0, 0], [1, 0, 0]], np.float32),
        quats=np.array([[1, 0, 0, 0], [1, 0, 0, 0]], np.float32),
        log_scales=np.log(np.full((2, 3), 0.1, np.float32)),
        f_dc=np.array([[1, 0, 0], [0, 1, 0]], np.float32),
        opacity=np.zeros(2, np.float32),
        sh_rest=np.zeros((2, 0), np.float32),
    )
    merged = merge_groups(pair, np.zeros(2, np.int64), 1)
    assert np.allclose(merged.means, [[0.5, 0, 0]], atol=1e-6)
    scales = np.sort(np.exp(merged.log_scales[0]))
    assert np.isclose(scales[-1], np.sqrt(0.01 + 0.25), rtol=1e-4)  # law of total variance along x
    assert np.allclose(scales[:2], 0.1, rtol=1e-4)
    axis = rotation_matrices(merged.quats)[0][:, np.argmax(merged.log_scales[0])]
    assert abs(axis[0]) > 0.9999
    assert np.allclose(merged.f_dc, [[0.5, 0.5, 0]], atol=1e-6)
    conserved = (2 * 0.5 * 0.1 * 0.1) / (0.1 * np.sqrt(0.26))  # opacity x area of both over the merged area
    assert np.isclose(1 / (1 + np.exp(-merged.opacity[0])), conserved, rtol=1e-4)


def test_manifest_format(scene: SplatCloud, written: tuple[Path, StreamedSog]) -> None:
    """lod-meta.json has splat-transform's keys, level-named SOG folders, and counts that add up (level 0: the
    visible splats)."""
    folder, result = written
    doc = json.loads((folder / "lod-meta.json").read_text())
    assert list(doc) == ["version", "asset", "count", "counts", "lodLevels", "lodErrors", "filenames", "tree"]
    assert doc["version"] == 1 and doc["lodErrors"] is False and doc["lodLevels"] == len(doc["counts"]) >= 3
    visible = int((encode_opacity(scene.opacity) > 0).sum())
    assert doc["count"] == sum(doc["counts"]) and doc["counts"][0] == visible < 20_000
    for name in doc["filenames"]:
        level, index = name.removesuffix("/meta.json").split("_")
        assert int(level) < doc["lodLevels"] and (folder / name).is_file() and int(index) >= 0
    assert len(doc["filenames"]) > doc["lodLevels"]  # small chunks: the finest level spans several files
    assert result.total_bytes == sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _leaves(node: LodNode) -> list[LodNode]:
    return [leaf for child in node.children for leaf in _leaves(child)] if node.children else [node]


def _inside(inner: LodNode, outer: LodNode) -> bool:
    return bool(np.all(np.array(inner.bound.min) >= outer.bound.min) and np.all(inner.bound.max <= outer.bound.max))


def test_chunk_bounds_hold_their_splats(written: tuple[Path, StreamedSog]) -> None:
    """Every leaf's box holds the 1-sigma boxes of its splats at every level, and every parent its children."""
    folder, _ = written
    meta = read_lod_meta((folder / "lod-meta.json").read_bytes())
    files = [read_sog(folder / name) for name in meta.filenames]
    slack = 5e-3 * np.ptp(files[0].means, axis=0).max()  # SOG quantises positions (16 bits, log) and scales
    for leaf in _leaves(meta.tree):
        for _, run in leaf_runs(leaf):
            low, high = splat_boxes(files[run.file].take(np.arange(run.offset, run.offset + run.count)))
            assert np.all(low.min(axis=0) >= np.array(leaf.bound.min) - slack)
            assert np.all(high.max(axis=0) <= np.array(leaf.bound.max) + slack)
            assert run.count <= SMALL_CHUNKS.chunk_splats
    stack = [meta.tree]
    while stack:
        node = stack.pop()
        for child in node.children or ():
            assert _inside(child, node)
            stack.append(child)


def test_finest_level_reads_back(scene: SplatCloud, written: tuple[Path, StreamedSog]) -> None:
    """Our reader gives back level 0 as the model itself, to SOG's quantisation."""
    folder, _ = written
    meta, levels = read_streamed_sog(folder)
    assert [level.count for level in levels] == list(meta.counts)
    match = match_by_position(scene, levels[0])
    assert match.unique
    original = scene.take(match.index)
    extent = np.ptp(scene.means, axis=0).max()
    assert np.abs(original.means - levels[0].means).max() < 1e-3 * extent
    assert np.abs(original.opacity - levels[0].opacity).mean() < 0.05


def test_reader_refuses_broken_runs(written: tuple[Path, StreamedSog], tmp_path: Path) -> None:
    """A manifest whose runs do not tile its files is refused with the file named."""
    folder, _ = written
    doc = json.loads((folder / "lod-meta.json").read_text())
    node = doc["tree"]
    while "children" in node:
        node = node["children"][0]
    next(iter(node["lods"].values()))["count"] += 1
    (tmp_path / "copy").mkdir()
    for name in doc["filenames"]:
        (tmp_path / "copy" / name).parent.symlink_to(folder / name.split("/")[0], target_is_directory=True)
    (tmp_path / "copy" / "lod-meta.json").write_text(json.dumps(doc))
    with pytest.raises(LodFormatError, match=r"meta\.json"):
        read_streamed_sog(tmp_path / "copy")
    with pytest.raises(LodFormatError):
        read_lod_meta(b'{"version": 1, "count": 3, "counts": [2], "lodLevels": 1, "filenames": [], "tree": {}}')


class _FailingSink(FolderSink):
    def write(self, name: str, data: bytes) -> None:
        if name.startswith("1_"):
            raise OSError("disk full")
        super().write(name, data)


def test_failed_write_leaves_nothing(scene: SplatCloud, tmp_path: Path) -> None:
    """A write that fails half way leaves neither the folder nor its staging files."""
    with pytest.raises(OSError, match="disk full"):
        write_streamed_sog(scene, _FailingSink(tmp_path / "lod"), PARAMS, SMALL_CHUNKS)
    assert list(tmp_path.iterdir()) == []


def test_streamed_sog_only_from_the_threshold(ply_sh0: Path, tmp_path: Path) -> None:
    """Below `lod_threshold` kept splats (or with it None) nothing is written; at it, the folder with its manifest."""
    kept = 1999  # scene_sh0: 2,000 splats, one invisible
    for threshold in (kept + 1, None):
        assert write_streamed_if_large(ply_sh0, tmp_path / "lod", CompressParams(lod_threshold=threshold), kept) is None
        assert not (tmp_path / "lod").exists()
    written = write_streamed_if_large(ply_sh0, tmp_path / "lod", CompressParams(lod_threshold=kept), kept)
    assert written is not None and (tmp_path / "lod" / "lod-meta.json").is_file()
    assert written.meta.counts[0] == kept
