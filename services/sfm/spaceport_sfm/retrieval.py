"""Image retrieval for large photo sets: which pairs are worth matching, from a visual-word index.

COLMAP's own vocabulary-tree matcher downloads its tree at run time and aborts the process when it
cannot (no network in a worker), so this builds a small vocabulary from the job's own SIFT
descriptors instead: k-means words, tf-idf histograms, cosine similarity, top-k neighbours per image,
plus each image's neighbours by name (photos are usually taken in order).
"""

import cv2
import numpy as np
from numpy.typing import NDArray

Descriptors = NDArray[np.uint8]  # [N, 128]
Histograms = NDArray[np.float32]  # [images, words]

SAMPLE_PER_IMAGE = 1000
VOCABULARY_SAMPLE = 100_000
MAX_WORDS = 512
NAME_NEIGHBOURS = 2


def build_vocabulary(per_image: list[Descriptors], seed: int = 0) -> NDArray[np.float32]:
    """[words, 128] k-means centres from a sample of all descriptors."""
    rng = np.random.default_rng(seed)
    sample = np.concatenate([_subsample(d, SAMPLE_PER_IMAGE, rng) for d in per_image if len(d)])
    if len(sample) > VOCABULARY_SAMPLE:
        sample = sample[rng.choice(len(sample), VOCABULARY_SAMPLE, replace=False)]
    words = int(min(MAX_WORDS, max(2, len(sample) // 50)))
    cv2.setRNGSeed(seed)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 15, 1.0)
    _, _, centres = cv2.kmeans(sample.astype(np.float32), words, None, criteria, 1, cv2.KMEANS_PP_CENTERS)
    return centres.astype(np.float32)


def tfidf_histograms(per_image: list[Descriptors], vocabulary: NDArray[np.float32], seed: int = 0) -> Histograms:
    """[images, words] L2-normalised tf-idf histograms of each image's visual words."""
    rng = np.random.default_rng(seed)
    counts = np.zeros((len(per_image), len(vocabulary)), dtype=np.float32)
    centre_norms = (vocabulary**2).sum(axis=1)
    for row, descriptors in enumerate(per_image):
        if not len(descriptors):
            continue
        sample = _subsample(descriptors, SAMPLE_PER_IMAGE * 2, rng).astype(np.float32)
        distances = centre_norms[None, :] - 2.0 * sample @ vocabulary.T  # [n, words], up to a constant
        words = distances.argmin(axis=1)
        counts[row] = np.bincount(words, minlength=len(vocabulary))
    document_frequency = np.count_nonzero(counts, axis=0)
    idf = np.log((len(per_image) + 1) / (document_frequency + 1)).astype(np.float32)
    weighted = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0) * idf
    return weighted / np.maximum(np.linalg.norm(weighted, axis=1, keepdims=True), 1e-12)


def retrieval_pairs(names: list[str], histograms: Histograms, neighbours: int) -> list[tuple[str, str]]:
    """Each image paired with its `neighbours` most similar images and its neighbours by name; no repeats."""
    similarity = histograms @ histograms.T
    np.fill_diagonal(similarity, -np.inf)
    order = np.argsort(names)
    pairs: set[tuple[int, int]] = set()
    for i in range(len(names)):
        for j in np.argsort(-similarity[i])[: min(neighbours, len(names) - 1)]:
            pairs.add((min(i, int(j)), max(i, int(j))))
    for rank, i in enumerate(order):
        for j in order[rank + 1 : rank + 1 + NAME_NEIGHBOURS]:
            pairs.add((min(int(i), int(j)), max(int(i), int(j))))
    return sorted((names[i], names[j]) for i, j in pairs)


def _subsample(descriptors: Descriptors, most: int, rng: np.random.Generator) -> Descriptors:
    if len(descriptors) <= most:
        return descriptors
    return descriptors[rng.choice(len(descriptors), most, replace=False)]
