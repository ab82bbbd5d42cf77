"""The compressor's core: a trained `.ply` -> SOG v2 through a sink, with a fidelity report."""

import time
from collections.abc import Callable
from pathlib import Path

import structlog

from spaceport.events.metrics import CompressMetrics
from spaceport.params.compressor import CompressParams
from spaceport.resources import PeakMemory
from spaceport_compressor.decoder import decode_files
from spaceport_compressor.encoder import EncodedSog, encode_sog
from spaceport_compressor.fidelity import FidelityDetail, Scoring, measure
from spaceport_compressor.nearest import gpu_peak_bytes, reset_gpu_peak
from spaceport_compressor.ply import LoadedPly, read_ply
from spaceport_compressor.report import CompressReport, FileSize
from spaceport_compressor.sink import SogSink

log = structlog.get_logger(__name__)

Progress = Callable[[float, str], None]


def _ignore_progress(fraction: float, step: str) -> None:
    """The default progress callback."""


def write_to(sink: SogSink, encoded: EncodedSog) -> None:
    """Write every file (meta.json last) and commit; abort on any failure, so nothing half-written is left."""
    try:
        for name, data in encoded.files:
            sink.write(name, data)
        sink.commit()
    except BaseException:
        sink.abort()
        raise


def _fidelity(loaded: LoadedPly, encoded: EncodedSog, params: CompressParams, scorer: Scoring | None) -> FidelityDetail:
    whole = loaded.splats.with_sh_bands(params.sh_bands)
    return measure(whole.take(encoded.order), decode_files(encoded.files), scorer, whole)


def compress(
    ply_path: Path,
    sink: SogSink,
    params: CompressParams | None = None,
    *,
    scorer: Scoring | None = None,
    progress: Progress = _ignore_progress,
) -> CompressReport:
    """Encode `ply_path` as SOG v2 into `sink`. Raises `InvalidSplats` (with a reason code) for bad input."""
    params = params or CompressParams()
    started = time.perf_counter()
    reset_gpu_peak()
    with PeakMemory() as memory:
        try:
            progress(0.0, "read")
            loaded = read_ply(ply_path)
            progress(0.1, "encode")
            encoded = encode_sog(loaded.splats, params)
            progress(0.8, "write")
        except BaseException:
            sink.abort()  # bad input or cancellation: the sink's staging files go too
            raise
        write_to(sink, encoded)
        progress(0.9, "fidelity")
        fidelity = _fidelity(loaded, encoded, params, scorer)
    seconds = time.perf_counter() - started
    report = _report(ply_path, loaded, encoded, params, fidelity, seconds, memory.peak_bytes)
    log.info(
        "compressed",
        splats=report.metrics.splats,
        dropped=report.metrics.dropped_splats,
        faint=report.faint_splats,
        sog_bytes=report.metrics.sog_bytes,
        ratio=round(report.metrics.ratio, 2),
        seconds=round(seconds, 2),
        palette=report.palette_size,
        backend=report.palette_backend,
    )
    progress(1.0, "done")
    return report


def _report(
    ply_path: Path,
    loaded: LoadedPly,
    encoded: EncodedSog,
    params: CompressParams,
    fidelity: FidelityDetail,
    seconds: float,
    peak_bytes: int,
) -> CompressReport:
    ply_bytes = ply_path.stat().st_size
    sog_bytes = encoded.total_bytes
    files = tuple(FileSize(name=name, bytes=len(data)) for name, data in encoded.files)
    metrics = CompressMetrics(
        splats=encoded.meta.count,
        dropped_splats=loaded.dropped + loaded.splats.count - encoded.meta.count,  # bad rows, then faint ones
        sh_bands=encoded.meta.shN.bands if encoded.meta.shN else 0,
        ply_bytes=ply_bytes,
        sog_bytes=sog_bytes,
        ratio=ply_bytes / sog_bytes if sog_bytes else 0.0,
        webp_files=sum(1 for f in files if f.name.endswith(".webp")),
        seconds=seconds,
        peak_memory_bytes=peak_bytes,
        peak_gpu_bytes=gpu_peak_bytes(),
        fidelity=fidelity.summary(),
    )
    return CompressReport(
        metrics=metrics,
        params=params,
        input_rows=loaded.rows,
        faint_splats=loaded.splats.count - encoded.meta.count,
        files=files,
        palette_size=encoded.meta.shN.count if encoded.meta.shN else None,
        palette_backend=encoded.palette_backend,
        palette_levels=encoded.shn_levels,
        step_seconds=encoded.step_seconds,
        fidelity=fidelity,
    )
