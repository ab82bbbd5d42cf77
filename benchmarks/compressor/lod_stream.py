"""Streamed SOG benchmark: a synthetic model of N splats as lod-meta.json + chunk SOGs, and as one `.sog`, each
loaded by the PlayCanvas engine in headless Chromium over loopback HTTP.

    python benchmarks/compressor/lod_stream.py --splats 2000000 --mbps 0,50 --work /tmp/lod-bench
    python benchmarks/compressor/lod_stream.py --splats 250000,500000,1000000 --single-only --mbps 0,50 --work /tmp/b

Prints one JSON line per model and link rate (`--mbps`: Chromium's network emulation, 20 ms latency; 0 is
loopback as it is): writing time, sizes, and in the browser: when the coarsest level's files had all
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


def _first_drawn(session: StreamSession) -> dict[str, object]:
    drawn = [d for d in session.status["drawn"] if d["splats"] > 0]  # type: ignore[attr-defined]
    return {
        "first_drawn_ms": round(drawn[0]["ms"], 1) if drawn else None,
        "first_drawn_splats": drawn[0]["splats"] if drawn else None,
        "errors": session.console_errors + session.failed_requests,
    }


def run(n: int, work: Path, single_only: bool, rates: list[float]) -> list[dict[str, object]]:
    """Write one model of `n` splats both ways, then load each at every link rate (0: loopback as it is)."""
    splats = synthetic_splats(n, sh_bands=0, seed=0)
    params = CompressParams(sh_bands=0)
    written: dict[str, object] = {"splats": n}
    if not (work / f"{n}.sog").is_file():  # a .sog left by an earlier run of the same size is reused
        ply = work / f"{n}.ply"
        write_ply(ply, splats)
        started = time.perf_counter()
        compress(ply, ZipSink(work / f"{n}.sog"), params)
        written["sog_write_s"] = round(time.perf_counter() - started, 1)
    written["sog_bytes"] = (work / f"{n}.sog").stat().st_size
    counts: tuple[int, ...] = ()
    if not single_only:
        started = time.perf_counter()
        streamed = write_streamed_sog(splats, FolderSink(work / f"lod-{n}"), params)
        written |= {
            "lod_write_s": round(time.perf_counter() - started, 1),
            "lod_bytes": streamed.total_bytes,
            "lod_files": len(streamed.meta.filenames),
        }
        counts = streamed.meta.counts
    rows = []
    for mbps in rates:
        row = dict(written, mbps=mbps)
        view = StreamView(CAMERA, underfill=0, budget=0, until_splats=n, throttle_mbps=mbps)
        single = stream_lod(work / f"{n}.sog", view, work / f"single-{n}-{mbps}", 900)
        row |= {f"sog_{key}": value for key, value in _first_drawn(single).items()}
        if not single_only:
            view = StreamView(CAMERA, underfill=8, budget=0, until_splats=n, throttle_mbps=mbps)
            session = stream_lod(work / f"lod-{n}" / "lod-meta.json", view, work / f"stream-{n}-{mbps}", 900)
            row |= stream_figures(session, counts)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--splats", default="2000000", help="comma-separated model sizes")
    parser.add_argument("--work", type=Path, default=None, help="folder for the models (default: a temp folder)")
    parser.add_argument("--single-only", action="store_true", help="only the single .sog, no streamed SOG")
    parser.add_argument("--mbps", default="0", help="comma-separated link rates to emulate in Mbit/s (0: loopback)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="lod-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    rates = [float(r) for r in args.mbps.split(",")]
    for n in (int(s) for s in args.splats.split(",")):
        for row in run(n, work, args.single_only, rates):
            sys.stdout.write(json.dumps(row) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
