"""ModelTrained -> Compressed: fetch the `.ply`, encode it as SOG v2, store the outputs and the figures."""

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import structlog

from spaceport.criteria import compression_results
from spaceport.events import Compressed, CompressedData, Envelope, ExportedFile, ModelTrained
from spaceport.runtime import PermanentError, StageContext, StageSpec
from spaceport.storage import ObjectNotFound, UnsafeKey, output_set
from spaceport_compressor.compression import Progress, compress
from spaceport_compressor.exports import write_exports
from spaceport_compressor.fidelity import NotMeasured, Scoring
from spaceport_compressor.heldout import heldout_scoring
from spaceport_compressor.lod_writer import write_streamed_if_large
from spaceport_compressor.report import CompressReport, FileSize
from spaceport_compressor.sink import FolderSink, SogSink, TeeSink, ZipSink
from spaceport_compressor.splats import InvalidSplats

log = structlog.get_logger(__name__)

SOG_FOLDER = "sog"
LOD_FOLDER = "lod"
BUNDLE_NAME = "scene.sog"
REPORT_NAME = "report.json"

ScorerFactory = Callable[[ModelTrained, StageContext], Scoring]
"""Builds the held-out PSNR scorer for a job (the trainer's renderer and cameras), or says why there is none."""


def no_scorer(event: ModelTrained, ctx: StageContext) -> Scoring:
    """No held-out scoring asked for (tests of other things): the criterion says not measured."""
    return NotMeasured("held-out scoring was not asked for")


@dataclass(frozen=True)
class LocalOutputs:
    """Where the core wrote this job's SOG on local disk, and the extra formats beside it."""

    folder: Path
    bundle: Path | None
    exports: tuple[Path, ...] = ()
    streamed: tuple[str, ...] = ()
    """Files of the streamed SOG under `folder.parent / LOD_FOLDER`, lod-meta.json last (none for small models)."""


def fetch_model(event: ModelTrained, ctx: StageContext) -> Path:
    """Download the trained `.ply` into the work folder."""
    target = ctx.work_dir / "input" / "model.ply"
    try:
        ctx.store.get_file(ctx.store.key_of(event.data.ply_uri), target)
    except (ValueError, UnsafeKey, ObjectNotFound) as exc:
        message = f"cannot read the model at {event.data.ply_uri}: {exc}"
        raise PermanentError(message, reason="bad_ply_uri") from exc
    return target


def progress_to(ctx: StageContext) -> Progress:
    """Forward core progress to StageProgress events, with an ETA from the pace so far."""
    start = time.monotonic()

    def send(fraction: float, step: str) -> None:
        elapsed = time.monotonic() - start
        eta = elapsed * (1.0 - fraction) / fraction if fraction >= 0.05 else None
        ctx.progress(fraction, step, eta_seconds=eta)
        ctx.check_cancelled()

    return send


def upload(ctx: StageContext, outputs: LocalOutputs, report: CompressReport) -> CompressedData:
    """Store the WebP files, then meta.json, then the bundle, the extra formats and the report; all or nothing."""
    lod = outputs.folder.parent / LOD_FOLDER
    with output_set(ctx.store, ctx.prefix()) as stored:
        webp_uris = tuple(stored.put_file(f"{SOG_FOLDER}/{name}", outputs.folder / name) for name in report.webp_names)
        meta_uri = stored.put_file(f"{SOG_FOLDER}/meta.json", outputs.folder / "meta.json")
        sog_uri = stored.put_file(BUNDLE_NAME, outputs.bundle) if outputs.bundle else None
        exports = tuple(
            ExportedFile(format=path.suffix[1:], uri=stored.put_file(path.name, path), bytes=path.stat().st_size)
            for path in outputs.exports
        )
        lod_uris = [stored.put_file(f"{LOD_FOLDER}/{name}", lod / name) for name in outputs.streamed]
        report_uri = stored.put_bytes(REPORT_NAME, report.to_json())
    return CompressedData(
        sog_uri=sog_uri,
        meta_uri=meta_uri,
        webp_uris=webp_uris,
        report_uri=report_uri,
        metrics=report.metrics,
        exports=exports,
        lod_uri=lod_uris[-1] if lod_uris else None,
    )


def check_outputs(report: CompressReport, outputs: LocalOutputs, ctx: StageContext) -> None:
    """The output gate (shared with the monitor): enough WebP files and a meta.json."""
    meta_present = (outputs.folder / "meta.json").is_file()
    for result in compression_results(report.metrics, meta_present, ctx.settings.criteria):
        if result.name == "sog_outputs" and not result.passed:
            raise PermanentError(result.message, reason="sog_output_gate")


Handler = Callable[[ModelTrained, StageContext], list[Envelope]]


def make_handler(scorers: ScorerFactory = no_scorer) -> Handler:
    """The stage's handler; `scorers` supplies the held-out PSNR scorer when one exists."""

    def on_model_trained(event: ModelTrained, ctx: StageContext) -> list[Envelope]:
        """Compress the trained model; publish where the SOG is and how faithful it is."""
        params = event.data.options.compressor
        ply = fetch_model(event, ctx)
        outputs = LocalOutputs(
            ctx.work_dir / "out" / SOG_FOLDER, ctx.work_dir / "out" / BUNDLE_NAME if params.write_bundle else None
        )
        sinks: list[SogSink] = [FolderSink(outputs.folder)]
        if outputs.bundle is not None:
            sinks.append(ZipSink(outputs.bundle))
        try:
            report = compress(ply, TeeSink(*sinks), params, scorer=scorers(event, ctx), progress=progress_to(ctx))
            check_outputs(report, outputs, ctx)
            exported = tuple(write_exports(ply, params.formats, outputs.folder.parent, params.sh_bands))
            lod = write_streamed_if_large(ply, outputs.folder.parent / LOD_FOLDER, params, report.metrics.splats)
        except InvalidSplats as exc:
            raise PermanentError(exc.message, reason=exc.reason) from exc
        sizes = tuple(FileSize(name=path.name, bytes=path.stat().st_size) for path in exported)
        lod_files = tuple(FileSize(name=name, bytes=size) for name, size in (lod.file_bytes if lod else {}).items())
        update = {"exports": sizes, "lod_counts": lod.meta.counts if lod else (), "lod_files": lod_files}
        report = report.model_copy(update=update)
        streamed = tuple(f.name for f in lod_files)
        data = upload(ctx, replace(outputs, exports=exported, streamed=streamed), report)
        log.info(
            "compressor_done",
            splats=report.metrics.splats,
            sog_bytes=report.metrics.sog_bytes,
            ratio=round(report.metrics.ratio, 2),
            seconds=round(report.metrics.seconds, 2),
            exports={f.name: f.bytes for f in sizes},
        )
        return [event.answered_by(Compressed, "compressor", data=data)]

    return on_model_trained


on_model_trained = make_handler(heldout_scoring)
STAGE = StageSpec(name="compressor", handle=on_model_trained, prefetch=1)
