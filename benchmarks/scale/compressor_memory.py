"""Peak RSS and time of `encode_sog` on N synthetic SH3 splats (default: 3M, the largest scene budget).

    nice python benchmarks/scale/compressor_memory.py --splats 3000000

Prints one JSON line: splats, palette size, seconds (wall and CPU), peak RSS of the process during the
encode and the RSS before it (the splats themselves), and each step's seconds.
"""

import argparse
import json
import resource
import time

from spaceport.params.compressor import CompressParams
from spaceport.resources import PeakMemory, resident_bytes
from spaceport_compressor.encoder import encode_sog
from spaceport_compressor.synthetic import synthetic_splats


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    """Generate, encode, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splats", type=int, default=3_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    splats = synthetic_splats(args.splats, 3, seed=args.seed)
    before = resident_bytes()
    wall, cpu = time.perf_counter(), _cpu_seconds()
    with PeakMemory() as memory:
        encoded = encode_sog(splats, CompressParams())
    figures = {
        "splats": args.splats,
        "palette": encoded.meta.shN.count if encoded.meta.shN else None,
        "backend": encoded.palette_backend,
        "wall_s": round(time.perf_counter() - wall, 1),
        "cpu_s": round(_cpu_seconds() - cpu, 1),
        "rss_before_mib": round(before / 2**20),
        "peak_rss_mib": round(memory.peak_bytes / 2**20),
        "sog_bytes": encoded.total_bytes,
        "step_seconds": encoded.step_seconds,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
