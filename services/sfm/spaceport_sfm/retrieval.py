"""Image retrieval for large photo sets: which pairs are worth matching, from a visual-word index.

COLMAP's own vocabulary-tree matcher downloads its tree at run time and aborts the process when it
cannot (no network in a worker), so this builds a small vocabulary from the job's own SIFT
descriptors instead: k-means words, tf-idf histograms, cosine similarity, top-k neighbours per image,
plus each image's neighbours by name (photos are usually taken in order).

Cost is bounded per image: the vocabulary is fitted on at most `VOCABULARY_SAMPLE` descriptors however many
photos there are (each contributes its share), a histogram reads at most `HISTOGRAM_SAMPLE` descriptors of
its image, and `histograms_of` takes the images one at a time, so no photo set's descriptors are held at once.
"""

from collections.abc import Iterable

import cv2
import numpy as np
from numpy.typing import NDArray

from spaceport_sfm.pairs import Histograms, IndexPair, ordered, similar_pairs

Descriptors = NDArray[np.uint8]  # [N, 128]

SAMPLE_PER_IMAGE = 1000
MIN_SAMPLE_PER_IMAGE = 50
VOCABULARY_SAMPLE = 100_000
HISTOGRAM_SAMPLE = 2000
MAX_WORDS = 512
NAME_NEIGHBOURS = 2


def vocabulary_share(images: int) -> int:
    """Descriptors each of `images` photos gives to the vocabulary sample."""
    return int(np.clip(VOCABULARY_SAMPLE // max(images, 1), MIN_SAMPLE_PER_IMAGE, SAMPLE_PER_IMAGE))


def build_vocabulary(per_image: list[Descriptors], seed: int = 0) -> NDArray[np.float32]:
    """[words, 128] k-means centres from a sample of all descriptors."""
    rng = np.random.default_rng(seed)
    share = vocabulary_share(len(per_image))
    sample = np.concatenate([subsample(d, share, rng) for d in per_image if len(d)])
    if len(sample) > VOCABULARY_SAMPLE:
        sample = sample[rng.choice(len(sample), VOCABULARY_SAMPLE, replace=False)]
    words = int(min(MAX_WORDS, max(2, len(sample) // 50)))
    cv2.setRNGSeed(seed)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 15, 1.0)
    _, _, centres = cv2.kmeans(sample.astype(np.float32), words, None, criteria, 1, cv2.KMEANS_PP_CENTERS)
    return centres.astype(np.float32)


def word_counts(descriptors: Descriptors, vocabulary: NDArray[np.float32], rng: np.random.Generator) -> np.ndarray:
    """[words] how many of (a sample of) one image's descriptors fall to each word."""
    if not len(descriptors):
        return np.zeros(len(vocabulary), np.float32)
    sample = subsample(descriptors, HISTOGRAM_SAMPLE, rng).astype(np.float32)
    distances = (vocabulary**2).sum(axis=1)[None, :] - 2.0 * sample @ vocabulary.T  # [n, words], up to a constant
    return np.bincount(distances.argmin(axis=1), minlength=len(vocabulary)).astype(np.float32)


def histograms_of(per_image: Iterable[Descriptors], vocabulary: NDArray[np.float32], seed: int = 0) -> Histograms:
    """[images, words] L2-normalised tf-idf histograms, reading the images one at a time."""
    rng = np.random.default_rng(seed)
    counts = np.stack([word_counts(d, vocabulary, rng) for d in per_image])  # [images, words]
    document_frequency = np.count_nonzero(counts, axis=0)
    idf = np.log((len(counts) + 1) / (document_frequency + 1)).astype(np.float32)
    weighted = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0) * idf
    return weighted / np.maximum(np.linalg.norm(weighted, axis=1, keepdims=True), 1e-12)


def tfidf_histograms(per_image: list[Descriptors], vocabulary: NDArray[np.float32], seed: int = 0) -> Histograms:
    """[images, words] L2-normalised tf-idf histograms of each image's visual words."""
    return histograms_of(per_image, vocabulary, seed)


def retrieval_pairs(names: list[str], histograms: Histograms, neighbours: int) -> list[tuple[str, str]]:
    """Each image paired with its `neighbours` most similar images and its neighbours by name; no repeats."""
    pairs = similar_pairs(histograms, neighbours)
    order = np.argsort(names)
    for rank, i in enumerate(order):
        pairs.update(ordered(int(i), int(j)) for j in order[rank + 1 : rank + 1 + NAME_NEIGHBOURS])
    return named(names, pairs)


def named(names: list[str], pairs: set[IndexPair]) -> list[tuple[str, str]]:
    """Index pairs as sorted name pairs."""
    return sorted((names[i], names[j]) for i, j in pairs)


def subsample(descriptors: Descriptors, most: int, rng: np.random.Generator) -> Descriptors:
    """At most `most` rows of `descriptors`, drawn without repeats."""
    if len(descriptors) <= most:
        return descriptors
    return descriptors[rng.choice(len(descriptors), most, replace=False)]
