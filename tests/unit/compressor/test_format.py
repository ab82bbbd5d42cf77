"""The SOG v2 container: meta.json, texture geometry, the zip bundle, determinism, commit-or-abort sinks."""

import json
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from spaceport.params.compressor import CompressParams
from spaceport_compressor.compression import write_to
from spaceport_compressor.decoder import read_sog
from spaceport_compressor.encoder import EncodedSog, encode_sog
from spaceport_compressor.layout import decode_webp, texture_size
from spaceport_compressor.sink import FolderSink, TeeSink, ZipSink
from spaceport_compressor.splats import SplatCloud

pytestmark = pytest.mark.unit
META_KEYS = ["version", "asset", "count", "means", "scales", "quats", "sh0", "shN"]


def test_meta_json_is_minified_v2_in_the_reference_key_order(encoded_sh3: EncodedSog) -> None:
    """meta.json: version 2, keys in splat-transform's order, 256-entry codebooks, the canonical file names."""
    raw = dict(encoded_sh3.files)["meta.json"]
    doc = json.loads(raw)
    assert list(doc) == META_KEYS and doc["version"] == 2 and b", " not in raw and b": " not in raw
    assert doc["count"] == encoded_sh3.order.size == 2999 and doc["shN"]["bands"] == 3  # one splat is invisible
    for key in ("scales", "sh0", "shN"):
        assert len(doc[key]["codebook"]) == 256 and doc[key]["codebook"] == sorted(doc[key]["codebook"])
    assert doc["means"]["files"] == ["means_l.webp", "means_u.webp"]
    assert doc["shN"]["files"] == ["shN_centroids.webp", "shN_labels.webp"]
    assert all(np.float32(v) == v for v in doc["sh0"]["codebook"] + doc["means"]["mins"])


def test_textures_share_one_size_and_pad_with_zero(encoded_sh3: EncodedSog) -> None:
    """Per-splat images are W x H (multiples of 4) with texels past N all zero; the atlas is 64*C wide."""
    files = dict(encoded_sh3.files)
    n = encoded_sh3.meta.count
    width, height = texture_size(n)
    assert (width, height) == (56, 56)
    for name in ("means_l.webp", "means_u.webp", "scales.webp", "quats.webp", "sh0.webp", "shN_labels.webp"):
        texels = decode_webp(files[name]).reshape(-1, 4)
        assert texels.shape[0] == width * height, name
        assert not texels[n:].any(), name
        assert (texels[:n, 3] > 0).any(), name
    atlas = decode_webp(files["shN_centroids.webp"])
    count = encoded_sh3.meta.shN.count  # type: ignore[union-attr]
    assert atlas.shape == (-(-count // 64), 64 * 15, 4)
    tags = decode_webp(files["quats.webp"]).reshape(-1, 4)[:n, 3]
    assert set(np.unique(tags)) <= {252, 253, 254, 255}


def test_bundle_is_a_stored_zip_with_meta_last_and_no_comment(encoded_sh3: EncodedSog, tmp_path: Path) -> None:
    """The .sog zip stores (no deflate), ends with a comment-free EOCD, and lists meta.json last."""
    target = tmp_path / "scene.sog"
    write_to(ZipSink(target), encoded_sh3)
    data = target.read_bytes()
    assert data[-22:-18] == b"PK\x05\x06" and struct.unpack("<H", data[-2:])[0] == 0
    with zipfile.ZipFile(target) as bundle:
        infos = bundle.infolist()
        assert [i.filename for i in infos] == [name for name, _ in encoded_sh3.files]
        assert infos[-1].filename == "meta.json"
        assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
        assert all(bundle.read(name) == blob for name, blob in encoded_sh3.files)


def test_same_input_and_seed_give_identical_bytes(scene_sh3: SplatCloud, tmp_path: Path) -> None:
    """Encoding is deterministic: the same scene and seed give byte-identical files and bundle."""
    first, second = (encode_sog(scene_sh3, CompressParams(seed=3, palette_size=700)) for _ in range(2))
    assert first.files == second.files
    write_to(ZipSink(tmp_path / "a.sog"), first)
    write_to(ZipSink(tmp_path / "b.sog"), second)
    assert (tmp_path / "a.sog").read_bytes() == (tmp_path / "b.sog").read_bytes()


def test_folder_and_bundle_hold_the_same_sog(encoded_sh3: EncodedSog, tmp_path: Path) -> None:
    """One write through a tee gives a folder and a bundle that decode to the same splats."""
    write_to(TeeSink(FolderSink(tmp_path / "sog"), ZipSink(tmp_path / "scene.sog")), encoded_sh3)
    assert sorted(p.name for p in (tmp_path / "sog").iterdir()) == sorted(n for n, _ in encoded_sh3.files)
    folder, bundle = read_sog(tmp_path / "sog"), read_sog(tmp_path / "scene.sog")
    assert np.array_equal(folder.means, bundle.means) and np.array_equal(folder.sh_rest, bundle.sh_rest)
    assert np.array_equal(read_sog(tmp_path / "sog" / "meta.json").quats, bundle.quats)


def test_failed_write_leaves_nothing_behind(encoded_sh3: EncodedSog, tmp_path: Path) -> None:
    """If writing fails midway, neither the folder nor the bundle nor any partial file exists afterwards."""
    sink = TeeSink(FolderSink(tmp_path / "sog"), ZipSink(tmp_path / "scene.sog"))
    broken = EncodedSog(
        files=[*encoded_sh3.files[:3], ("../escape", b"x")], meta=encoded_sh3.meta, order=encoded_sh3.order
    )
    with pytest.raises(ValueError):
        write_to(sink, broken)
    assert list(tmp_path.iterdir()) == []


def test_commit_replaces_an_older_folder(encoded_sh3: EncodedSog, tmp_path: Path) -> None:
    """Writing again over an earlier output replaces it whole (no stale files survive)."""
    (tmp_path / "sog").mkdir()
    (tmp_path / "sog" / "stale.webp").write_bytes(b"old")
    write_to(FolderSink(tmp_path / "sog"), encoded_sh3)
    names = {p.name for p in (tmp_path / "sog").iterdir()}
    assert "stale.webp" not in names and "meta.json" in names
    assert [p.name for p in tmp_path.iterdir()] == ["sog"]
