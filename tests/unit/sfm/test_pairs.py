"""Pair lists that scale: bounded pairs per image, COLMAP's sequential rule, and loop closures for a walk."""

import numpy as np
import pytest

from spaceport_sfm import pairs as pairs_module
from spaceport_sfm.pairs import pairs_per_image, sequential_pairs, similar_pairs
from spaceport_sfm.retrieval import NAME_NEIGHBOURS, build_vocabulary, histograms_of, retrieval_pairs

pytestmark = pytest.mark.unit


def walk_descriptors(frames: int, laps: float, seed: int = 0) -> list[np.ndarray]:
    """SIFT-like descriptors of frames along a closed walk: each frame sees the patterns of the 6 places (of 48
    around the loop) nearest to where it stands, so frames see alike exactly where the walk passes alike."""
    rng = np.random.default_rng(seed)
    places = rng.integers(0, 255, (48, 20, 128)).astype(np.float64)  # [place, pattern, 128]
    out = []
    for f in range(frames):
        at = round(48 * laps * f / frames) % 48
        seen = places[[(at + k) % 48 for k in range(-3, 3)]].reshape(-1, 128)
        picks = seen[rng.integers(0, len(seen), 300)]
        out.append(np.clip(picks + rng.normal(0, 6, picks.shape), 0, 255).astype(np.uint8))
    return out


def test_sequential_pairs_follow_colmaps_rule() -> None:
    """Each image pairs with the next `overlap` ones and, quadratically, with those 2**k places on."""
    pairs = sequential_pairs(40, 3)
    assert (0, 1) in pairs and (0, 3) in pairs and (0, 4) in pairs and (0, 5) not in pairs
    assert (10, 14) in pairs and (10, 18) not in pairs
    assert sequential_pairs(40, 3, quadratic=False) == {(i, i + k) for i in range(40) for k in (1, 2, 3) if i + k < 40}


def test_loop_closure_ties_the_end_of_a_walk_to_its_start() -> None:
    """Frames at the end of a closed walk are paired with frames at its start, which the window never pairs."""
    frames = 120
    descriptors = walk_descriptors(frames, laps=1.0)
    histograms = histograms_of(descriptors, build_vocabulary(descriptors))
    loops = similar_pairs(histograms, 3, min_gap=10)
    window = sequential_pairs(frames, 10)
    closing = [(i, j) for i, j in loops if i < 8 and j >= frames - 8]
    assert closing, sorted(loops)[:10]
    assert not [(i, j) for i, j in window if i < 8 and j >= frames - 8]
    assert all(j - i > 10 for i, j in loops)


def test_similar_pairs_do_not_depend_on_the_block_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """Computing the similarities a few rows at a time chooses the same pairs as all at once."""
    descriptors = walk_descriptors(50, laps=2.0, seed=1)
    histograms = histograms_of(descriptors, build_vocabulary(descriptors))
    whole = similar_pairs(histograms, 4)
    monkeypatch.setattr(pairs_module, "SIMILARITY_BLOCK", 7)
    assert similar_pairs(histograms, 4) == whole and len(whole) >= 50 * 4 // 2


@pytest.mark.parametrize("frames", [100, 400])
def test_retrieval_pairs_per_image_stay_bounded(frames: int) -> None:
    """However many images, each takes part in at most about 2 * (neighbours + name neighbours) pairs."""
    neighbours = 6
    descriptors = walk_descriptors(frames, laps=3.0, seed=frames)
    names = [f"view_{i:04d}.jpg" for i in range(frames)]
    histograms = histograms_of(descriptors, build_vocabulary(descriptors))
    chosen = retrieval_pairs(names, histograms, neighbours)
    index = {n: i for i, n in enumerate(names)}
    per_image = pairs_per_image({(index[a], index[b]) for a, b in chosen}, frames)
    assert neighbours <= per_image <= 2 * (neighbours + NAME_NEIGHBOURS)
