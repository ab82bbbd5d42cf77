"""Retrieval pairing for large sets: images are paired with the ones that look alike."""

import numpy as np
import pytest

from spaceport.params import SfmParams
from spaceport_sfm.retrieval import NAME_NEIGHBOURS, build_vocabulary, retrieval_pairs, tfidf_histograms

pytestmark = pytest.mark.unit


def scene_descriptors(rng: np.random.Generator, centres: np.ndarray, count: int) -> np.ndarray:
    """SIFT-like descriptors drawn around one scene's own set of patterns."""
    picks = centres[rng.integers(0, len(centres), count)]
    return np.clip(picks + rng.normal(0, 6, picks.shape), 0, 255).astype(np.uint8)


def test_pairs_stay_within_each_scene() -> None:
    """With two scenes of distinct texture, pairs cross scenes only between neighbours in name order."""
    rng = np.random.default_rng(0)
    scenes = [rng.integers(0, 255, (60, 128)).astype(np.float64) for _ in range(2)]
    names = [f"s{s}_{i:02d}.jpg" for s in range(2) for i in range(10)]
    descriptors = [scene_descriptors(rng, scenes[int(n[1])], 400) for n in names]
    histograms = tfidf_histograms(descriptors, build_vocabulary(descriptors))
    pairs = retrieval_pairs(names, histograms, neighbours=4)
    crossing = [(a, b) for a, b in pairs if a[:2] != b[:2]]
    order = sorted(names)
    assert len(pairs) >= 20 * 4 // 2
    assert crossing and all(abs(order.index(a) - order.index(b)) <= NAME_NEIGHBOURS for a, b in crossing)


def test_auto_pairing_follows_the_input() -> None:
    """Video frames pair sequentially, small sets exhaustively, large sets by GPS or by retrieval."""
    from spaceport_sfm.matching import choose_pairing

    params = SfmParams(exhaustive_max_images=100)
    assert choose_pairing(params, 50, "video", 0) == "sequential"
    assert choose_pairing(params, 50, "photos", 0) == "exhaustive"
    assert choose_pairing(params, 500, "photos", 480) == "spatial"
    assert choose_pairing(params, 500, "photos", 0) == "retrieval"
    assert choose_pairing(params.model_copy(update={"pairing": "spatial"}), 50, "photos", 0) == "retrieval"
