"""SOG size against what it costs on screen: our encoder's variants of one trained model, each decoded and
scored on the trainer's held-out views with the pipeline's own scorer (the trainer's renderer and protocol).

    python benchmarks/compressor/heldout_sweep.py --sparse SCENE/sparse/0 --images SCENE/images \
        --ply model.ply --undistorted --json sweep.json --variant default --variant p65536 --variant h0

`--undistorted` when the trainer undistorted the photos (its report's `lens_handling`), as `auto` does on a
GPU. The drop is against the full model (all SH bands, every splat), so `h0` counts what dropping SH costs
too, and a variant leaving splats out counts what they were worth; bytes per splat are per splat of the
input. `--views K` scores on K of the held-out views (evenly spaced) to make a sweep cheaper on a CPU; the
full protocol is all of them. `--ablate` also scores each variant with one attribute group at a time put
back from the input (positions, rotations, scales, colours, opacities, higher SH): what each group's coding
costs. Each row has the bytes of every file and the encode time (without scoring). The JSON is rewritten
after each variant.
"""

import argparse
import dataclasses
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from variants import ours_params

from spaceport.params.trainer import TrainParams
from spaceport_compressor.decoder import decode_files
from spaceport_compressor.encoder import encode_sog
from spaceport_compressor.fidelity import measure
from spaceport_compressor.heldout import CloudScorer
from spaceport_compressor.ply import read_ply
from spaceport_splats.scoring import HeldoutScorer, heldout_scorer

ABLATION_GROUPS = ("means", "quats", "log_scales", "f_dc", "opacity", "sh_rest")
"""The attribute groups `--ablate` puts back one at a time (SplatCloud's fields)."""


def _some_views(scorer: HeldoutScorer, count: int | None) -> HeldoutScorer:
    """`count` of the scorer's views, evenly spaced (all when None or more than it has)."""
    if count is None or count >= len(scorer.views):
        return scorer
    picks = np.linspace(0, len(scorer.views) - 1, count).round().astype(int)
    return dataclasses.replace(scorer, views=[scorer.views[i] for i in picks])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sparse", required=True, type=Path)
    parser.add_argument("--images", required=True, type=Path)
    parser.add_argument("--ply", required=True, type=Path)
    parser.add_argument("--preset", default="standard", help="the trainer preset the model was trained with")
    parser.add_argument("--undistorted", action="store_true")
    parser.add_argument("--views", type=int, help="score on this many held-out views (default: all)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads of the renderer")
    parser.add_argument("--variant", action="append", required=True)
    parser.add_argument("--json", required=True, type=Path)
    parser.add_argument("--ablate", action="store_true", help="also score with each attribute group restored")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="heldout-sweep-"))
    params = TrainParams.preset_named(args.preset)
    trainer_scorer = heldout_scorer(
        args.sparse, args.images, params, work, cpu_threads=args.threads, undistorted=args.undistorted
    )
    scorer = CloudScorer(_some_views(trainer_scorer, args.views))
    splats = read_ply(args.ply).splats
    started = time.perf_counter()
    full = scorer(splats)
    result: dict[str, object] = {
        "ply": str(args.ply),
        "ply_bytes": args.ply.stat().st_size,
        "splats": splats.count,
        "views": len(scorer.scorer.views),
        "psnr_full_db": full,
        "score_seconds": time.perf_counter() - started,
    }
    rows: list[dict[str, object]] = []
    result["variants"] = rows
    for name in args.variant:
        started = time.perf_counter()
        encoded = encode_sog(splats, ours_params(name))
        encode_seconds = time.perf_counter() - started
        decoded = decode_files(encoded.files)
        reference = splats.with_sh_bands(ours_params(name).sh_bands).take(encoded.order)
        fidelity = measure(reference, decoded)
        psnr = scorer(decoded)
        restored = (
            {
                group: scorer(dataclasses.replace(decoded, **{group: getattr(reference, group)}))
                for group in ABLATION_GROUPS
            }
            if args.ablate
            else {}
        )
        rows.append(
            {
                "variant": name,
                "sog_bytes": encoded.total_bytes,
                "bytes_per_splat": encoded.total_bytes / splats.count,
                "kept_splats": encoded.meta.count,
                "files": {file: len(data) for file, data in encoded.files},
                "palette": encoded.meta.shN.count if encoded.meta.shN else None,
                "sh_rel_rmse": fidelity.sh_rel_rmse,
                "psnr_decoded_db": psnr,
                "drop_db": full - psnr,
                "drop_recovered_db": {group: value - psnr for group, value in restored.items()},
                "encode_seconds": encode_seconds,
                "seconds": time.perf_counter() - started,
            }
        )
        args.json.write_text(json.dumps(result, indent=1))
        print(json.dumps({k: v for k, v in rows[-1].items() if k != "files"}), flush=True)


if __name__ == "__main__":
    main()
