"""Cost of retrieval pairing alone as the photo count grows: vocabulary, histograms and pair choice, on synthetic
SIFT-like descriptors produced one image at a time (as they are read from COLMAP's database).

Usage: nice .venv/bin/python benchmarks/scale/retrieval_cost.py --images 100 300 1000 3000 --features 4096
Prints one JSON line per count: seconds per part, peak traced allocation (numpy's included), pairs per image.
"""

import argparse
import json
import time
import tracemalloc
from collections.abc import Iterator

import numpy as np

from spaceport_sfm.pairs import pairs_per_image, similar_pairs
from spaceport_sfm.retrieval import build_vocabulary, histograms_of, subsample, vocabulary_share

PLACES = 64


def descriptor_pool(features: int, seed: int = 0) -> list[np.ndarray]:
    """Per place on a loop, three noisy takes [3, features, 128] of the patterns of the places around it."""
    rng = np.random.default_rng(seed)
    places = rng.integers(0, 255, (PLACES, 64, 128)).astype(np.float32)
    pool = []
    for at in range(PLACES):
        seen = places[[(at + k) % PLACES for k in range(-2, 3)]].reshape(-1, 128)
        takes = seen[rng.integers(0, len(seen), (3, features))]
        pool.append(np.clip(takes + rng.normal(0, 6, takes.shape), 0, 255).astype(np.uint8))
    return pool


def descriptors(pool: list[np.ndarray], images: int) -> Iterator[np.ndarray]:
    """Each image's descriptors, one image at a time: a take of the place where it stands."""
    for i in range(images):
        yield pool[i * PLACES // images][i % 3]


def measure(pool: list[np.ndarray], images: int, neighbours: int) -> dict[str, float]:
    """Seconds of each part and the peak memory traced (beyond the descriptor pool) for one photo count."""
    tracemalloc.start()
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    share = vocabulary_share(images)
    vocabulary = build_vocabulary([subsample(d, share, rng) for d in descriptors(pool, images)])
    fitted = time.perf_counter()
    histograms = histograms_of(descriptors(pool, images), vocabulary)
    counted = time.perf_counter()
    pairs = similar_pairs(histograms, neighbours)
    paired = time.perf_counter()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "images": images,
        "vocabulary_s": round(fitted - start, 2),
        "histograms_s": round(counted - fitted, 2),
        "pairs_s": round(paired - counted, 2),
        "peak_mib": round(peak / 2**20, 1),
        "pairs_per_image": round(pairs_per_image(pairs, images), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, nargs="+", default=[100, 300, 1000, 3000])
    parser.add_argument("--features", type=int, default=4096)
    parser.add_argument("--neighbours", type=int, default=25)
    args = parser.parse_args()
    pool = descriptor_pool(args.features)
    for images in args.images:
        print(json.dumps(measure(pool, images, args.neighbours)), flush=True)


if __name__ == "__main__":
    main()
