"""Matching step: pick the pairing for the input, then match and verify pairs (pycolmap child only)."""

from pathlib import Path
from typing import Literal

import pycolmap
import structlog

from spaceport.params import SfmParams
from spaceport_sfm.colmap_options import matching_options
from spaceport_sfm.report import InputKind
from spaceport_sfm.retrieval import build_vocabulary, retrieval_pairs, tfidf_histograms

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
    elif choice == "sequential":
        sequential = pycolmap.SequentialPairingOptions(
            overlap=params.sequential_overlap, quadratic_overlap=True, loop_detection=False
        )
        pycolmap.match_sequential(database, matching_options=options, pairing_options=sequential)
    elif choice == "spatial":
        spatial = pycolmap.SpatialPairingOptions(max_num_neighbors=params.retrieval_neighbors * 2)
        pycolmap.match_spatial(database, matching_options=options, pairing_options=spatial)
    else:
        pairs_file = write_retrieval_pairs(database, work_dir / "pairs.txt", params.retrieval_neighbors)
        imported = pycolmap.ImportedPairingOptions(match_list_path=pairs_file)
        pycolmap.match_image_pairs(database, matching_options=options, pairing_options=imported)
    return choice


def write_retrieval_pairs(database: Path, path: Path, neighbours: int) -> Path:
    """Choose pairs by visual-word similarity and write them as COLMAP's `name1 name2` list."""
    with pycolmap.Database.open(database) as db:
        images = sorted(db.read_all_images(), key=lambda image: image.name)
        descriptors = [db.read_descriptors(image.image_id).data for image in images]
    names = [image.name for image in images]
    vocabulary = build_vocabulary(descriptors)
    pairs = retrieval_pairs(names, tfidf_histograms(descriptors, vocabulary), neighbours)
    path.write_text("".join(f"{a} {b}\n" for a, b in pairs))
    log.info("retrieval_pairs", images=len(names), pairs=len(pairs), words=len(vocabulary))
    return path
