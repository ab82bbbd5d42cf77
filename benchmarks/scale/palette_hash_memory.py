"""Peak RSS of the palette's distinct-row search on N x 45 float32 rows (3M SH3 splats), blocked or all at once.

nice python benchmarks/scale/palette_hash_memory.py --rows 3000000            # as the compressor runs it
nice python benchmarks/scale/palette_hash_memory.py --rows 3000000 --at-once  # as it ran before issue 20
"""

import argparse
import resource
import time

import numpy as np

from spaceport_compressor import palette


def _peak_mib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10


def main() -> None:
    """Generate the rows, find the distinct ones, print peak RSS before and after and the CPU seconds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--at-once", action="store_true", help="hash every row in one block")
    args = parser.parse_args()
    x = np.random.default_rng(1).standard_normal((args.rows, 45), dtype=np.float32)
    if args.at_once:
        palette.HASH_ROWS = args.rows
    before, started = _peak_mib(), time.process_time()
    rows, _ = palette._distinct(x)
    cpu = time.process_time() - started
    print(
        f"rows {args.rows} ({x.nbytes >> 20} MiB) distinct {rows.shape[0]} block {palette.HASH_ROWS}: "
        f"peak RSS {before} MiB before, {_peak_mib()} MiB after; {cpu:.1f} CPU s"
    )


if __name__ == "__main__":
    main()
