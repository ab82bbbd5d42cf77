"""The fixed quantisers, codebooks, orderings and the SH palette, checked on their own."""

import numpy as np
import pytest

from spaceport_compressor import codebook
from spaceport_compressor.fidelity import rotation_error_deg
from spaceport_compressor.nearest import InvertedFileSearch, nearest_exact, nearest_torch
from spaceport_compressor.ordering import morton_codes, morton_order
from spaceport_compressor.palette import HASH_ROWS, _distinct, auto_palette_size, fit_palette
from spaceport_compressor.quantize import (
    QUAT_TAG_BASE,
    SQRT2,
    decode_opacity,
    decode_positions,
    decode_quats,
    encode_opacity,
    encode_positions,
    encode_quats,
)

pytestmark = pytest.mark.unit
RNG = np.random.default_rng(11)


def _truncated_quat_error(quats: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
    """splat-transform's encoding (truncate each byte), decoded the same way, as a baseline."""
    q = quats / np.linalg.norm(quats, axis=1, keepdims=True)
    m = np.argmax(np.abs(q), axis=1)
    q *= np.where(q[np.arange(len(q)), m] < 0, -1, 1)[:, None]
    kept = np.stack([np.delete(row, i) for row, i in zip(q, m, strict=True)]) * SQRT2
    abc = np.floor(255 * (kept * 0.5 + 0.5)).clip(0, 255).astype(np.uint8)
    return rotation_error_deg(q, decode_quats(abc, (m + QUAT_TAG_BASE).astype(np.uint8)))


def test_quaternions_beat_truncation_and_keep_their_tag() -> None:
    """Rounded-and-refined smallest-three codes have about half the angle error of truncated ones."""
    quats = RNG.normal(size=(5000, 4)).astype(np.float32)
    abc, tag = encode_quats(quats)
    ours = rotation_error_deg(quats, decode_quats(abc, tag))
    theirs = _truncated_quat_error(quats.astype(np.float64))
    assert ours.mean() < 0.6 * theirs.mean()
    assert ours.max() < theirs.max()
    largest = np.argmax(np.abs(quats), axis=1)
    assert np.array_equal(tag, (largest + QUAT_TAG_BASE).astype(np.uint8))


def test_quaternion_sign_does_not_matter() -> None:
    """q and -q are one rotation and get the same code."""
    quats = RNG.normal(size=(200, 4)).astype(np.float32)
    assert all(np.array_equal(a, b) for a, b in zip(encode_quats(quats), encode_quats(-quats), strict=True))


def test_unknown_quaternion_tag_decodes_to_identity() -> None:
    """A tag outside 252..255 decodes to the identity rotation, as splat-transform's reader does."""
    out = decode_quats(np.full((1, 3), 128, np.uint8), np.array([7], np.uint8))
    assert np.allclose(out, [[1, 0, 0, 0]])


def test_positions_round_to_the_nearest_code() -> None:
    """Position codes are the rounded grid index; a flat axis (zero span) decodes back to its value."""
    means = np.stack([RNG.uniform(-50, 50, 1000), RNG.uniform(-1, 1, 1000), np.full(1000, 2.5)], 1)
    code = encode_positions(means.astype(np.float32))
    back = decode_positions(code.mins, code.maxs, code.q)
    assert np.abs(back[:, 2] - 2.5).max() < 1e-4
    nudged = code.q.astype(np.int64) + np.array([1, 0, 0])
    worse = decode_positions(code.mins, code.maxs, nudged.clip(0, 65535))
    assert (np.abs(back[:, 0] - means[:, 0]) <= np.abs(worse[:, 0] - means[:, 0]) + 1e-6).all()


def test_opacity_bytes_round_in_alpha_space() -> None:
    """Opacity byte = round(255 * sigmoid); decoding gives the logit of byte/255 (clamped)."""
    logits = np.array([-30.0, -2.0, 0.0, 2.0, 30.0], np.float32)
    byte = encode_opacity(logits)
    assert byte.tolist() == [0, 30, 128, 225, 255]
    assert np.allclose(1 / (1 + np.exp(-decode_opacity(byte[1:4]))), byte[1:4] / 255, atol=1e-6)


def test_codebook_has_256_sorted_entries_and_is_exact_for_few_values() -> None:
    """A codebook is 256 ascending floats; with <= 256 distinct inputs every value is reproduced."""
    few = RNG.choice(np.linspace(-3, 3, 40), 5000).astype(np.float32)
    book = codebook.fit_codebook(few)
    assert book.shape == (256,) and np.all(np.diff(book) >= 0)
    assert np.array_equal(codebook.decode(codebook.encode(few, book), book), few)
    many = RNG.normal(size=30000).astype(np.float32)
    book = codebook.fit_codebook(many)
    assert np.unique(book).size == 256
    assert np.abs(codebook.decode(codebook.encode(many, book), book) - many).mean() < 0.01


def test_morton_order_interleaves_x_lowest() -> None:
    """Z-order codes put x in bit 0, y in bit 1, z in bit 2; the order sorts by them, stably."""
    cells = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1], [0, 0, 0], [0, 0, 0]])
    assert morton_codes(cells).tolist() == [1, 2, 4, 7, 0, 0]
    assert morton_order(cells).tolist() == [4, 5, 0, 1, 2, 3]


def test_palette_is_deterministic_and_labels_the_nearest_centroid() -> None:
    """Same seed, same palette; every label is its nearest centroid; few distinct rows stay exact."""
    x = RNG.normal(size=(3000, 9)).astype(np.float32)
    a, b = fit_palette(x, 200, 4, seed=5), fit_palette(x, 200, 4, seed=5)
    assert np.array_equal(a.centroids, b.centroids) and np.array_equal(a.labels, b.labels)
    assert np.array_equal(a.labels, nearest_exact(x, a.centroids))
    rows = RNG.normal(size=(50, 9)).astype(np.float32)[RNG.integers(0, 50, 1000)]
    exact = fit_palette(rows, 64, 3, seed=0)
    assert np.array_equal(exact.centroids[exact.labels], rows)


def test_mini_batch_palette_is_close_to_full_lloyd() -> None:
    """Mini-batch steps reach nearly the quantisation error of full Lloyd steps."""
    x = RNG.normal(size=(6000, 9)).astype(np.float32)
    full = fit_palette(x, 300, 6, seed=1)
    mini = fit_palette(x, 300, 6, seed=1, batch_size=1500)
    error = [float(((x - p.centroids[p.labels]) ** 2).sum(1).mean()) for p in (full, mini)]
    assert error[1] < 1.05 * error[0]


@pytest.mark.parametrize("batch_size", [None, 1500])
def test_weighted_palette_spends_its_entries_where_the_weight_is(batch_size: int | None) -> None:
    """With weight on a tenth of the rows, their error falls well below the unweighted palette's."""
    x = RNG.normal(size=(6000, 9)).astype(np.float32)
    heavy = np.zeros(6000, dtype=bool)
    heavy[RNG.choice(6000, 600, replace=False)] = True
    weights = np.where(heavy, 1.0, 0.01)
    plain = fit_palette(x, 300, 6, seed=2, batch_size=batch_size)
    weighted = fit_palette(x, 300, 6, seed=2, batch_size=batch_size, weights=weights)
    error = [float(((x - p.centroids[p.labels])[heavy] ** 2).sum(1).mean()) for p in (plain, weighted)]
    assert error[1] < 0.7 * error[0]
    assert np.array_equal(weighted.labels, nearest_exact(x, weighted.centroids))


def test_inverted_file_search_agrees_with_exact_search() -> None:
    """The inverted-file shortcut finds nearly the same centroids, at nearly the same distance."""
    x = RNG.normal(size=(4000, 12)).astype(np.float32)
    centroids = RNG.normal(size=(900, 12)).astype(np.float32)
    exact, approx = nearest_exact(x, centroids), InvertedFileSearch(probes=8)(x, centroids)
    assert (exact == approx).mean() > 0.85
    d = [((x - centroids[lab]) ** 2).sum(1).mean() for lab in (exact, approx)]
    assert d[1] < 1.02 * d[0]


def test_auto_palette_size_scales_with_the_scene() -> None:
    """One entry per 20 splats, at least 1,024 and at most 65,536 (16-bit labels)."""
    assert [auto_palette_size(n) for n in (500, 100_000, 5_000_000)] == [1024, 5000, 65536]


def test_torch_search_matches_numpy() -> None:
    """The torch path (used on a GPU; run here on the CPU) labels exactly like the BLAS path."""
    pytest.importorskip("torch", reason="torch is optional: the compressor image runs without it")
    x = RNG.normal(size=(3000, 9)).astype(np.float32)
    centroids = RNG.normal(size=(500, 9)).astype(np.float32)
    assert (nearest_torch(x, centroids, device="cpu") == nearest_exact(x, centroids)).mean() > 0.999


def test_distinct_rows_are_found_across_hash_blocks() -> None:
    """Rows are hashed a block at a time (bounded memory), yet equal rows in different blocks are one palette row."""
    x = np.random.default_rng(5).normal(size=(HASH_ROWS + 100, 4)).astype(np.float32)
    x[-1] = x[0]
    x[-2] = x[HASH_ROWS // 2]
    rows, index = _distinct(x)
    assert rows.shape == (HASH_ROWS + 98, 4)
    assert index[-1] == index[0] and index[-2] == index[HASH_ROWS // 2]
    assert np.array_equal(rows[index], x)
