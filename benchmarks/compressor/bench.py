"""Compressor benchmark: our SOG encoder against PlayCanvas's splat-transform on the same PLY, in one run.

    python benchmarks/compressor/bench.py --splats 100000 --ours default,h0,p65536 --reference h0,i1
    python benchmarks/compressor/bench.py --ply path/to/trained.ply --reference h0

For each variant: output bytes, ratio to the PLY, wall and CPU seconds, peak RSS, and round-trip errors
(ours paired by texel order; the reference's paired to the source by nearest position). Writes a JSON file
and prints a Markdown table. The reference runs on the CPU (`-g cpu`); `-i N` sets its k-means iterations,
`-H 0` drops SH (its CPU k-means takes hours above ~20k splats).
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
from variants import ours_params

from spaceport.params.compressor import CompressParams
from spaceport_compressor.compression import compress
from spaceport_compressor.decoder import read_sog
from spaceport_compressor.encoder import encode_sog
from spaceport_compressor.fidelity import FidelityDetail, measure
from spaceport_compressor.matching import match_by_position
from spaceport_compressor.ply import read_ply, write_ply
from spaceport_compressor.sink import ZipSink
from spaceport_compressor.splats import SH_C0, SplatCloud
from spaceport_compressor.synthetic import synthetic_splats

REPO = Path(__file__).resolve().parents[2]
SPLAT_TRANSFORM = REPO / "node_modules" / ".bin" / "splat-transform"
REFERENCE = {"h0": ["-H", "0"], "i1": ["-i", "1"], "default": []}


def visible_colour_error(original: SplatCloud, decoded: SplatCloud) -> float:
    """Mean colour error (1/255) over splats whose opacity byte is non-zero in either tool's encoding.

    splat-transform writes WebP without `exact`, so texels with alpha 0 may lose their RGB: invisible splats,
    but they dominate its maximum and raise its mean colour error; this figure leaves them out.
    """
    visible = 1.0 / (1.0 + np.exp(-original.opacity.astype(np.float64))) >= 1.0 / 255
    error = np.abs(decoded.f_dc.astype(np.float64) - original.f_dc)[visible] * SH_C0 * 255
    return float(error.mean())


def errors(detail: FidelityDetail) -> dict[str, float | None]:
    """The error figures of one variant, flat."""
    return {
        "position_rel_mean": detail.position_rel.mean,
        "position_rel_max": detail.position_rel.max,
        "rotation_deg_mean": detail.rotation_deg.mean,
        "rotation_deg_p99": detail.rotation_deg.p99,
        "log_scale_mean": detail.log_scale.mean,
        "log_scale_p99": detail.log_scale.p99,
        "log_scale_max": detail.log_scale.max,
        "color_255_mean": detail.color_255.mean,
        "color_255_p99": detail.color_255.p99,
        "color_255_max": detail.color_255.max,
        "opacity_mean": detail.opacity.mean,
        "opacity_max": detail.opacity.max,
        "sh_rel_rmse": detail.sh_rel_rmse,
    }


def run_ours(name: str, ply: Path, out: Path) -> dict[str, object]:
    """Compress with one of our parameter sets; time it in this process."""
    target = out / f"ours-{name}.sog"
    cpu, wall = time.process_time(), time.perf_counter()
    params = ours_params(name)
    report = compress(ply, ZipSink(target), params)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert report.fidelity is not None
    decoded = read_sog(target)
    original = read_ply(ply).splats.with_sh_bands(decoded.sh_bands).take(_texture_order(ply, params))
    return {
        "tool": "ours",
        "variant": name,
        "bytes": target.stat().st_size,
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mb": report.metrics.peak_memory_bytes / 2**20,
        "palette": report.palette_size,
        "palette_levels": report.palette_levels,
        "steps_s": report.step_seconds,
        **errors(report.fidelity),
        "color_255_visible_mean": visible_colour_error(original, decoded),
    }


def _texture_order(ply: Path, params: CompressParams) -> npt.NDArray[np.int64]:
    """The texel order our encoder chose (it is deterministic: encode again without the palette)."""
    splats = read_ply(ply).splats.with_sh_bands(0)
    return encode_sog(splats, params.model_copy(update={"sh_bands": 0})).order


def encode_reference(name: str, ply: Path, target: Path, reuse: bool) -> dict[str, float | bool]:
    """Run splat-transform (under /usr/bin/time for its peak RSS), or reuse an earlier run's output and costs."""
    costs = target.with_suffix(".costs.json")
    if reuse and target.is_file() and costs.is_file():
        return {**json.loads(costs.read_text()), "reused": True}
    timer = target.with_suffix(".time")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    command = [str(SPLAT_TRANSFORM), "-w", "-g", "cpu", str(ply), *REFERENCE[name], str(target)]
    subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(timer), *command], check=True, capture_output=True)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = {
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mb": int(timer.read_text().split()[-1]) / 1024,
        "encoded_at": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    costs.write_text(json.dumps(result))
    return {**result, "reused": False}


def run_reference(name: str, ply: Path, out: Path, reuse: bool) -> dict[str, object]:
    """splat-transform on the same PLY; our decoder reads its output, paired to the source by position."""
    target = out / f"reference-{name}.sog"
    costs = encode_reference(name, ply, target, reuse)
    source = read_ply(ply).splats
    decoded = read_sog(target)
    match = match_by_position(source, decoded)
    kept = source.with_sh_bands(decoded.sh_bands).take(match.index)
    return {
        "tool": "splat-transform",
        "variant": name,
        "bytes": target.stat().st_size,
        **costs,
        "paired_unique": match.unique,
        **errors(measure(kept, decoded)),
        "color_255_visible_mean": visible_colour_error(kept, decoded),
    }


def table(rows: list[dict[str, object]], ply_bytes: int) -> str:
    """A Markdown table of the rows."""
    head = (
        "| tool | variant | bytes | ratio | wall s | CPU s | peak RSS MB | pos rel mean | rot deg mean / p99 "
        "| log-scale mean / p99 | colour mean / p99 (1/255) | visible colour mean | opacity mean | SH rel RMSE |"
    )
    lines = [head, "|" + "---|" * 14]
    for r in rows:
        sh = r["sh_rel_rmse"]
        lines.append(
            f"| {r['tool']} | {r['variant']} | {r['bytes']:,} | {ply_bytes / r['bytes']:.1f}x "  # type: ignore[operator]
            f"| {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['peak_rss_mb']:.0f} | {r['position_rel_mean']:.2e} "
            f"| {r['rotation_deg_mean']:.3f} / {r['rotation_deg_p99']:.3f} "
            f"| {r['log_scale_mean']:.4f} / {r['log_scale_p99']:.4f} "
            f"| {r['color_255_mean']:.3f} / {r['color_255_p99']:.3f} | {r['color_255_visible_mean']:.3f} "
            f"| {r['opacity_mean']:.5f} "
            f"| {'-' if sh is None else f'{sh:.3f}'} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Parse arguments, make or take the PLY, run every variant, write JSON, print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ply", type=Path, help="a trained model; default: a synthetic scene")
    parser.add_argument("--splats", type=int, default=100_000)
    parser.add_argument("--sh-mode", choices=["structured", "noise"], default="structured")
    parser.add_argument("--ours", default="default,h0")
    parser.add_argument("--reference", default="h0")
    parser.add_argument("--out", type=Path, default=Path("/tmp/spaceport-bench-compressor"))
    parser.add_argument(
        "--reuse-reference",
        action="store_true",
        help="reuse splat-transform outputs (and their costs) already in --out",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    ply = args.ply
    if ply is None:
        ply = args.out / f"synthetic-{args.splats}-{args.sh_mode}.ply"
        if not ply.is_file():
            write_ply(ply, synthetic_splats(args.splats, 3, seed=1, sh_mode=args.sh_mode))
    source = read_ply(ply).splats
    load = os.getloadavg()
    rows = [run_ours(name, ply, args.out) for name in args.ours.split(",") if name]
    rows += [run_reference(name, ply, args.out, args.reuse_reference) for name in args.reference.split(",") if name]
    result = {
        "ply": str(ply),
        "ply_bytes": ply.stat().st_size,
        "splats": source.count,
        "sh_bands": source.sh_bands,
        "sh_mode": None if args.ply else args.sh_mode,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_before": load,
        "load_after": os.getloadavg(),
        "rows": rows,
    }
    (args.out / "results.json").write_text(json.dumps(result, indent=1, default=str))
    print(
        f"{ply} ({result['ply_bytes']:,} B, {source.count:,} splats, SH{source.sh_bands}), "
        f"load {load[0]:.2f} -> {result['load_after'][0]:.2f}"
    )  # type: ignore[index]
    print(table(rows, result["ply_bytes"]))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
