"""Matching step: pick the pairing for the input, then match and verify pairs (pycolmap child only)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import numpy as np
import pycolmap
import structlog

from spaceport.params import SfmParams
from spaceport_sfm.colmap_options import matching_options
from spaceport_sfm.pairs import IndexPair, pairs_per_image, sequential_pairs, similar_pairs
from spaceport_sfm.report import InputKind
from spaceport_sfm.retrieval import (
    Descriptors,
    Histograms,
    build_vocabulary,
    histograms_of,
    named,
    retrieval_pairs,
    subsample,
    vocabulary_share,
)

log = structlog.get_logger(__name__)

PairingChoice = Literal["exhaustive", "sequential", "spatial", "retrieval"]
SPATIAL_PRIOR_SHARE = 0.8
"""Spatial pairing needs GPS (pose priors) on at least this share of the images."""


def choose_pairing(params: SfmParams, image_count: int, input_kind: InputKind, pose_priors: int) -> PairingChoice:
    """Sequential for video frames, exhaustive for small sets, spatial (GPS) or retrieval for large ones."""
    has_priors = image_count > 0 and pose_priors >= SPATIAL_PRIOR_SHARE * image_count
    if params.pairing == "spatial" and not has_priors:
        log.warning("spatial_pairing_without_priors", pose_priors=pose_priors, images=image_count)
        return "retrieval"
    if params.pairing != "auto":
        return params.pairing
    if input_kind == "video":
        return "sequential"
    if image_count <= params.exhaustive_max_images:
        return "exhaustive"
    return "spatial" if has_priors else "retrieval"


def match(database: Path, work_dir: Path, params: SfmParams, input_kind: InputKind, threads: int) -> PairingChoice:
    """Match the images of `database` with the pairing the input calls for; returns the pairing used."""
    with pycolmap.Database.open(database) as db:
        image_count, pose_priors = db.num_images(), db.num_pose_priors()
    choice = choose_pairing(params, image_count, input_kind, pose_priors)
    options = matching_options(params, threads)
    log.info("matching", pairing=choice, images=image_count, guided=options.guided_matching)
    if choice == "exhaustive":
        pycolmap.match_exhaustive(
            database, matching_options=options, pairing_options=pycolmap.ExhaustivePairingOptions(block_size=25)
        )
        return choice
    if choice == "spatial":
        spatial = pycolmap.SpatialPairingOptions(max_num_neighbors=params.retrieval_neighbors * 2)
        pycolmap.match_spatial(database, matching_options=options, pairing_options=spatial)
        return choice
    if choice == "sequential":
        pairs_file = write_sequential_pairs(database, work_dir / "pairs.txt", params)
    else:
        pairs_file = write_retrieval_pairs(database, work_dir / "pairs.txt", params.retrieval_neighbors)
    imported = pycolmap.ImportedPairingOptions(match_list_path=pairs_file)
    pycolmap.match_image_pairs(database, matching_options=options, pairing_options=imported)
    return choice


def write_retrieval_pairs(database: Path, path: Path, neighbours: int) -> Path:
    """Choose pairs by visual-word similarity and write them as COLMAP's `name1 name2` list."""
    names, histograms = _histograms(database)
    pairs = retrieval_pairs(names, histograms, neighbours)
    _write(path, pairs)
    log.info("retrieval_pairs", images=len(names), pairs=len(pairs), per_image=round(2 * len(pairs) / len(names), 1))
    return path


def write_sequential_pairs(database: Path, path: Path, params: SfmParams) -> Path:
    """Pair the images in name order (video frames: in time) with the next ones, plus loop closures: each
    image with its `loop_closure_neighbors` most similar images outside the sequential window, so a walk that
    comes back to where it started is tied together again."""
    names, histograms = _histograms(database) if params.loop_closure_neighbors else (_names(database), None)
    in_order: set[IndexPair] = sequential_pairs(len(names), params.sequential_overlap)  # names are sorted
    loops: set[IndexPair] = set()
    if histograms is not None:
        loops = similar_pairs(histograms, params.loop_closure_neighbors, min_gap=params.sequential_overlap)
    pairs = in_order | loops
    _write(path, named(names, pairs))
    log.info(
        "sequential_pairs",
        images=len(names),
        pairs=len(pairs),
        loop_pairs=len(loops - in_order),
        per_image=round(pairs_per_image(pairs, len(names)), 1),
    )
    return path


def _names(database: Path) -> list[str]:
    with pycolmap.Database.open(database) as db:
        return sorted(image.name for image in db.read_all_images())


def _descriptors(database: Path, names: list[str]) -> Iterator[Descriptors]:
    """Each image's descriptors in `names` order, one image at a time."""
    with pycolmap.Database.open(database) as db:
        ids = {image.name: image.image_id for image in db.read_all_images()}
        for name in names:
            yield db.read_descriptors(ids[name]).data


def _histograms(database: Path) -> tuple[list[str], Histograms]:
    """The image names (sorted) and their tf-idf histograms over a vocabulary of the job's own descriptors."""
    names = _names(database)
    rng = np.random.default_rng(0)
    share = vocabulary_share(len(names))
    vocabulary = build_vocabulary([subsample(d, share, rng) for d in _descriptors(database, names)])
    return names, histograms_of(_descriptors(database, names), vocabulary)


def _write(path: Path, pairs: list[tuple[str, str]]) -> None:
    path.write_text("".join(f"{a} {b}\n" for a, b in pairs))
