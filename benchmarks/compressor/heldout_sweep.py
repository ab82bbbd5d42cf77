"""SOG size against what it costs on screen: our encoder's variants of one trained model, each decoded and
scored on the trainer's held-out views with the pipeline's own scorer (the trainer's renderer and protocol).

    python benchmarks/compressor/heldout_sweep.py --sparse SCENE/sparse/0 --images SCENE/images \
        --ply model.ply --undistorted --json sweep.json --variant default --variant p65536 --variant h0

`--undistorted` when the trainer undistorted the photos (its report's `lens_handling`), as `auto` does on a
GPU. The drop is against the full model (all SH bands), so `h0` counts what dropping SH costs too. The JSON is
rewritten after each variant.
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

from variants import ours_params

from spaceport.params.trainer import TrainParams
from spaceport_compressor.compression import compress
from spaceport_compressor.heldout import CloudScorer
from spaceport_compressor.ply import read_ply
from spaceport_compressor.sink import ZipSink
from spaceport_splats.scoring import heldout_scorer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sparse", required=True, type=Path)
    parser.add_argument("--images", required=True, type=Path)
    parser.add_argument("--ply", required=True, type=Path)
    parser.add_argument("--preset", default="standard", help="the trainer preset the model was trained with")
    parser.add_argument("--undistorted", action="store_true")
    parser.add_argument("--variant", action="append", required=True)
    parser.add_argument("--json", required=True, type=Path)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="heldout-sweep-"))
    params = TrainParams.preset_named(args.preset)
    scorer = CloudScorer(heldout_scorer(args.sparse, args.images, params, work, undistorted=args.undistorted))
    full = scorer(read_ply(args.ply).splats)
    result: dict[str, object] = {"ply": str(args.ply), "ply_bytes": args.ply.stat().st_size, "psnr_full_db": full}
    rows: list[dict[str, object]] = []
    result["variants"] = rows
    for name in args.variant:
        started = time.perf_counter()
        report = compress(args.ply, ZipSink(work / f"{name}.sog"), ours_params(name), scorer=scorer)
        decoded = report.fidelity.psnr_decoded_db if report.fidelity else None
        rows.append(
            {
                "variant": name,
                "sog_bytes": report.metrics.sog_bytes,
                "palette": report.palette_size,
                "palette_backend": report.palette_backend,
                "sh_rel_rmse": report.metrics.fidelity.sh_rel_rmse,
                "psnr_decoded_db": decoded,
                "drop_db": None if decoded is None else full - decoded,
                "seconds": time.perf_counter() - started,
            }
        )
        args.json.write_text(json.dumps(result, indent=1))
        print(json.dumps(rows[-1]), flush=True)


if __name__ == "__main__":
    main()
