"""Incremental-mapping option sets on one fixed feature database: seconds, points and pose error per set.

Mapping runs on the CPU in both pycolmap builds, so option choices can be compared on any machine; the database
comes from an earlier run (`bench_sfm.py` leaves `work-<dataset>-<profile>/attempt-1/database.db`).

Usage (from the repository root):
    python benchmarks/sfm/mapping_variants.py DATABASE IMAGES [--reference transforms.json | --truth SCENE] \
        [--repeat 3] \
        [--strongest-pairs K] --variant 'name:{"ba_global_frames_ratio": 2.0, "mapper.ba_local_num_images": 4}'
Option names are IncrementalPipelineOptions fields, dotted into its `mapper.` and `triangulation.` parts, set on
top of the service's own mapper options (`colmap_options.mapper_options`). Each run is followed by the service's
principal-point refinement. Prints one JSON line per run. `--truth` names a generated scene's folder (its
ground_truth.json, e.g. a courtyard walk of benchmarks/scale) to compare the poses with, as `--reference` does
with a real set's transforms.json.
"""

import argparse
import json
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pycolmap

from spaceport.params import SfmParams
from spaceport_app.cli.demo import reconstruction_poses
from spaceport_app.demo import DemoScene, load_ground_truth, pose_errors
from spaceport_sfm.colmap_options import mapper_options
from spaceport_sfm.evaluation import compare_poses, load_transforms_json, poses_of
from spaceport_sfm.mapping import refine_principal_point


def keep_strongest_pairs(database: Path, per_image: int) -> tuple[int, int]:
    """Delete every verified pair that is not among either image's `per_image` pairs with the most inliers;
    returns (pairs kept, pairs before)."""
    with pycolmap.Database.open(database) as db:
        pair_ids, geometries = db.read_two_view_geometries()
        verified = {
            pycolmap.pair_id_to_image_pair(pair_id): len(geometry.inlier_matches)
            for pair_id, geometry in zip(pair_ids, geometries, strict=True)
            if len(geometry.inlier_matches) > 0
        }
        ranked: dict[int, list[tuple[int, tuple[int, int]]]] = defaultdict(list)
        for pair, inliers in verified.items():
            for image in pair:
                ranked[image].append((inliers, pair))
        keep = {pair for pairs in ranked.values() for _, pair in sorted(pairs, reverse=True)[:per_image]}
        for pair in verified.keys() - keep:
            db.delete_two_view_geometry(*pair)
    return len(keep), len(verified)


def configured(overrides: dict[str, Any], threads: int, images: int) -> pycolmap.IncrementalPipelineOptions:
    """The service's mapper options for `images` photos with `overrides` set on top."""
    options = mapper_options(pycolmap.IncrementalPipelineOptions(), SfmParams.preset("default"), threads, images)
    for dotted, value in overrides.items():
        *parents, name = dotted.split(".")
        target = options
        for parent in parents:
            target = getattr(target, parent)
        if name == "image_selection_method":
            value = getattr(pycolmap.ImageSelectionMethod, value)
        setattr(target, name, value)
    return options


def mapped_models(
    database: Path, images: Path, work: Path, overrides: dict[str, Any], threads: int, count: int
) -> dict[int, pycolmap.Reconstruction]:
    """Incremental mapping, or with `"hierarchical": true` COLMAP's hierarchical mapper: the scene split into
    overlapping clusters (`clustering.*` options, e.g. `clustering.leaf_max_num_images`), each mapped incrementally
    with the other options (`num_workers` clusters at once), then merged."""
    rest = {k: v for k, v in overrides.items() if not k.startswith("clustering.") and k not in HIERARCHICAL_KEYS}
    incremental = configured(rest, threads, count)
    if not overrides.get("hierarchical"):
        return pycolmap.incremental_mapping(database, images, work, options=incremental)
    options = pycolmap.HierarchicalPipelineOptions()
    options.incremental_options = incremental
    options.num_threads = threads
    options.num_workers = overrides.get("num_workers", -1)
    for key, value in overrides.items():
        if key.startswith("clustering."):
            setattr(options.clustering_options, key.removeprefix("clustering."), value)
    return pycolmap.hierarchical_mapping(database, images, work, options=options)


HIERARCHICAL_KEYS = ("hierarchical", "num_workers")


def run_variant(
    database: Path, images: Path, overrides: dict[str, Any], threads: int, work: Path
) -> tuple[dict[str, float | int], pycolmap.Reconstruction]:
    """One mapping run and the principal-point refinement after it: (seconds and figures, the refined model)."""
    with pycolmap.Database.open(database) as db:
        count = db.num_images()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    start = time.monotonic()
    models = mapped_models(database, images, work, overrides, threads, count)
    mapped = time.monotonic()
    best = max(models.values(), key=lambda m: m.num_reg_images())
    refined, _ = refine_principal_point(best, threads)
    row: dict[str, float | int] = {
        "mapping_s": round(mapped - start, 2),
        "principal_point_s": round(time.monotonic() - mapped, 2),
        "registered": best.num_reg_images(),
        "images": count,
        "points": best.num_points3D(),
        "models": len(models),
        "reprojection_px": round(refined.compute_mean_reprojection_error(), 3),
    }
    return row, refined


def truth_errors(model: pycolmap.Reconstruction, truth: DemoScene) -> dict[str, float]:
    """Camera centre (percent of the scene's size) and rotation errors against a generated scene's truth."""
    errors = pose_errors(reconstruction_poses(model), truth)
    return {
        "centre_error_median_pct": round(100 * errors.centre_median, 4),
        "rotation_error_median_deg": round(errors.rotation_median_deg, 3),
        "rotation_error_max_deg": round(errors.rotation_max_deg, 3),
    }


def main() -> None:
    """Run every variant `--repeat` times, one after the other, on copies of the database."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database", type=Path)
    parser.add_argument("images", type=Path)
    parser.add_argument("--reference", type=Path, help="transforms.json with the reference poses")
    parser.add_argument("--truth", type=Path, help="a generated scene's folder, with ground_truth.json")
    parser.add_argument("--variant", action="append", default=[], help='name:{"option": value, ...}')
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--threads", type=int, default=-1)
    parser.add_argument("--strongest-pairs", type=int, default=0, help="keep each photo's K strongest pairs")
    args = parser.parse_args()
    pycolmap.logging.minloglevel = 2
    reference = load_transforms_json(args.reference) if args.reference else None
    truth = load_ground_truth(args.truth) if args.truth else None
    variants = [(v.split(":", 1)[0], json.loads(v.split(":", 1)[1] or "{}")) for v in args.variant or ["default:{}"]]
    with tempfile.TemporaryDirectory() as scratch:
        database = Path(scratch) / "database.db"
        shutil.copy(args.database, database)
        if args.strongest_pairs:
            kept, before = keep_strongest_pairs(database, args.strongest_pairs)
            print(json.dumps({"pairs_kept": kept, "pairs_before": before}), flush=True)
        for round_ in range(args.repeat):
            for name, overrides in variants:
                row, refined = run_variant(database, args.images, overrides, args.threads, Path(scratch) / name)
                if reference is not None:
                    accuracy = compare_poses(poses_of(refined), reference)
                    row["rotation_error_median_deg"] = round(accuracy.median_rotation_error_deg, 3)
                    row["rotation_error_max_deg"] = round(accuracy.max_rotation_error_deg, 3)
                if truth is not None:
                    row |= truth_errors(refined, truth)
                print(json.dumps({"variant": name, "round": round_, **row}), flush=True)


if __name__ == "__main__":
    main()
