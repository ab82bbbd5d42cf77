"""Streamed SOG benchmark: a synthetic model of N splats as lod-meta.json + chunk SOGs, and as one `.sog`, each
loaded by the PlayCanvas engine in headless Chromium over loopback HTTP.

    python benchmarks/compressor/lod_stream.py --splats 2000000 --work /tmp/lod-bench
    python benchmarks/compressor/lod_stream.py --splats 250000,500000,1000000 --single-only --work /tmp/lod-bench

Prints one JSON line per model: writing time, sizes, and in the browser: when the coarsest level's files had all
arrived, when splats were first drawn (and how many), when level 0 first arrived and when the drawn count settled;
for the `.sog`: when its splats were first drawn (the engine's splat budget off for both, so that each draws the
whole model in the end; the wait ends when all N are drawn in one frame). SH are dropped (`sh_bands=0`) to keep
the CPU encode short.
"""

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from spaceport.params.compressor import CompressParams  # noqa: E402
from spaceport_compressor.compression import compress  # noqa: E402
from spaceport_compressor.lod_writer import write_streamed_sog  # noqa: E402
from spaceport_compressor.ply import write_ply  # noqa: E402
from spaceport_compressor.sink import FolderSink, ZipSink  # noqa: E402
from spaceport_compressor.synthetic import synthetic_splats  # noqa: E402
from tests.browser.tools import Camera, StreamSession, StreamView, stream_lod  # noqa: E402

CAMERA = Camera(position=(0.0, 2.0, 12.0), size=(400, 300))
LEVEL = re.compile(r"/(\d+)_\d+/[^/]+$")


def stream_figures(session: StreamSession, counts: tuple[int, ...]) -> dict[str, object]:
    """Coarse-first figures of one browser load of a streamed SOG."""
    coarsest = len(counts) - 1
    by_level: dict[int, list[float]] = {}
    order = []
    for f in session.files:
        if (match := LEVEL.search(f.path)) and f.path.endswith(".webp"):
            by_level.setdefault(int(match.group(1)), []).append(f.end)
            order.append(int(match.group(1)))
    drawn = [d for d in session.status["drawn"] if d["splats"] > 0]  # type: ignore[attr-defined]
    return {
        "levels": list(counts),
        "first_level_arrived": order[0] if order else None,
        "coarsest_arrived_ms": round(max(by_level.get(coarsest, [float("nan")])), 1),
        "finest_first_arrived_ms": round(min(by_level.get(0, [float("nan")])), 1),
        "first_drawn_ms": round(drawn[0]["ms"], 1) if drawn else None,
        "first_drawn_splats": drawn[0]["splats"] if drawn else None,
        "settled_ms": round(drawn[-1]["ms"], 1) if drawn else None,
        "settled_splats": drawn[-1]["splats"] if drawn else None,
        "webp_files_fetched": len(order),
        "console_errors": session.console_errors,
        "failed_requests": session.failed_requests,
    }


def run(n: int, work: Path, single_only: bool) -> dict[str, object]:
    """Write and load one model of `n` splats."""
    splats = synthetic_splats(n, sh_bands=0, seed=0)
    params = CompressParams(sh_bands=0)
    row: dict[str, object] = {"splats": n}
    if not (work / f"{n}.sog").is_file():  # a .sog left by an earlier run of the same size is reused
        ply = work / f"{n}.ply"
        write_ply(ply, splats)
        started = time.perf_counter()
        compress(ply, ZipSink(work / f"{n}.sog"), params)
        row["sog_write_s"] = round(time.perf_counter() - started, 1)
    row["sog_bytes"] = (work / f"{n}.sog").stat().st_size
    single = stream_lod(work / f"{n}.sog", StreamView(CAMERA, 0, 0, until_splats=n), work / f"single-{n}", 600)
    drawn = [d for d in single.status["drawn"] if d["splats"] > 0]  # type: ignore[attr-defined]
    row["sog_first_drawn_ms"] = round(drawn[0]["ms"], 1) if drawn else None
    row["sog_first_drawn_splats"] = drawn[0]["splats"] if drawn else None
    row["sog_errors"] = single.console_errors + single.failed_requests
    if not single_only:
        started = time.perf_counter()
        streamed = write_streamed_sog(splats, FolderSink(work / f"lod-{n}"), params)
        row["lod_write_s"] = round(time.perf_counter() - started, 1)
        row["lod_bytes"] = streamed.total_bytes
        row["lod_files"] = len(streamed.meta.filenames)
        view = StreamView(CAMERA, underfill=8, budget=0, until_splats=n)
        session = stream_lod(work / f"lod-{n}" / "lod-meta.json", view, work / f"stream-{n}", timeout_s=600)
        row |= stream_figures(session, streamed.meta.counts)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--splats", default="2000000", help="comma-separated model sizes")
    parser.add_argument("--work", type=Path, default=None, help="folder for the models (default: a temp folder)")
    parser.add_argument("--single-only", action="store_true", help="only the single .sog, no streamed SOG")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="lod-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    for n in (int(s) for s in args.splats.split(",")):
        sys.stdout.write(json.dumps(run(n, work, args.single_only)) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
