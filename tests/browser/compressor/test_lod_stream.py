"""Our streamed SOG (lod-meta.json + chunk SOGs) in the PlayCanvas engine, in headless Chromium over loopback.

CI loads a 300k-splat synthetic model cut into 64k-splat chunks (SPACEPORT_LOD_SPLATS changes the size); the
2M-splat figures come from `benchmarks/compressor/lod_stream.py` (benchmarks/compressor/RESULTS.md).
"""

import json
import os
import re

import numpy as np
import pytest

from spaceport.params.compressor import CompressParams
from spaceport_compressor.lod_chunks import ChunkParams
from spaceport_compressor.lod_writer import StreamedSog, write_streamed_sog
from spaceport_compressor.sink import FolderSink
from spaceport_compressor.synthetic import synthetic_splats
from tests.browser.tools import Camera, StreamSession, StreamView, stream_lod

pytestmark = pytest.mark.browser

SPLATS = int(os.environ.get("SPACEPORT_LOD_SPLATS", "300000"))
LEVEL = re.compile(r"/(\d+)_\d+/[^/]+\.webp$")


@pytest.fixture(scope="module")
def streamed(tmp_path_factory: pytest.TempPathFactory) -> tuple[StreamedSog, StreamSession]:
    """A synthetic model written as a streamed SOG, then loaded by the engine over an emulated 10 Mbit/s link with no
    splat budget (so it wants level 0 wherever the view does) and coarser levels allowed while finer ones load."""
    work = tmp_path_factory.mktemp("lod-stream")
    params = CompressParams(sh_bands=0, lod_coarsest=16_384)
    written = write_streamed_sog(
        synthetic_splats(SPLATS, sh_bands=0, seed=5), FolderSink(work / "lod"), params, ChunkParams(64 * 1024)
    )
    finest = written.meta.counts[0]  # the visible splats: those drawn with alpha 0 are left out
    # a 10 Mbit/s link: unthrottled loopback can deliver every level before a loaded machine draws its first frame
    view = StreamView(
        Camera(position=(0.0, 2.0, 12.0), size=(400, 300)), budget=0, until_splats=finest, throttle_mbps=10.0
    )
    session = stream_lod(work / "lod" / "lod-meta.json", view, work)
    return written, session


def _arrivals(session: StreamSession) -> list[tuple[int, float]]:
    """(level, ms) of every chunk image, in order of arrival."""
    return [(int(m.group(1)), f.end) for f in session.files if (m := LEVEL.search(f.path))]


def test_engine_streams_every_level_without_errors(streamed: tuple[StreamedSog, StreamSession]) -> None:
    """The engine reads lod-meta.json, fetches chunks of the coarsest and the finest level, and logs no error."""
    written, session = streamed
    assert session.status["state"] == "ready", session.status
    assert session.console_errors == [] and session.failed_requests == []
    levels = {level for level, _ in _arrivals(session)}
    assert {0, len(written.meta.counts) - 1} <= levels, levels
    lit = session.pixels.astype(np.int32).sum(axis=2) > 60
    assert 0.01 < lit.mean() < 0.9


def test_coarse_level_comes_first(streamed: tuple[StreamedSog, StreamSession]) -> None:
    """The coarsest level's chunks arrive before any chunk of level 0; a coarse level is drawn before level 0
    arrives; the whole finest level is drawn in the end."""
    written, session = streamed
    arrivals = _arrivals(session)
    counts = written.meta.counts
    coarse_done = max(ms for level, ms in arrivals if level == len(counts) - 1)
    finest_first = min(ms for level, ms in arrivals if level == 0)
    drawn = [d for d in session.status["drawn"] if d["splats"] > 0]  # type: ignore[attr-defined]
    figures = {
        "splats": SPLATS,
        "levels": list(counts),
        "files": len(written.meta.filenames),
        "coarsest_arrived_ms": round(coarse_done),
        "finest_first_arrived_ms": round(finest_first),
        "drawn": drawn,
    }
    print(json.dumps(figures))  # the figures, for RESULTS.md (pytest -s)
    # the engine may ask for two coarse levels at once, in either order: what must hold is that no file of level 0
    # comes before the coarsest level has arrived whole
    assert min(arrivals, key=lambda a: a[1])[0] != 0, arrivals[:5]
    assert coarse_done <= finest_first, figures
    assert drawn[0]["splats"] <= counts[1] and drawn[0]["ms"] < finest_first, figures
    assert drawn[-1]["splats"] == counts[0], figures
