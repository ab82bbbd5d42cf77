"""A model -> PlayCanvas's streamed SOG: `lod-meta.json` plus one SOG v2 folder per level and chunk, via a sink."""

import time
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from spaceport.params.compressor import CompressParams
from spaceport_compressor.encoder import encode_sog
from spaceport_compressor.lod_chunks import ChunkParams, partition
from spaceport_compressor.lod_levels import build_levels
from spaceport_compressor.lod_meta import META_NAME, LodMeta, lod_meta
from spaceport_compressor.ply import read_ply
from spaceport_compressor.precision import kept_splats
from spaceport_compressor.sink import FolderSink, SogSink
from spaceport_compressor.splats import SplatCloud

log = structlog.get_logger(__name__)


@dataclass
class StreamedSog:
    """What was written: the manifest, the bytes of each file by name, and what each step cost."""

    meta: LodMeta
    file_bytes: dict[str, int] = field(default_factory=dict)
    step_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_bytes(self) -> int:
        """Sum of the file sizes, manifest included."""
        return sum(self.file_bytes.values())


def write_streamed_sog(
    splats: SplatCloud, sink: SogSink, params: CompressParams, chunks: ChunkParams | None = None
) -> StreamedSog:
    """Build the levels, cut them into chunks, encode each chunk as SOG v2 into `sink` (manifest last), commit.

    Splats less opaque than `params.min_opacity` are left out before the levels are built: a chunk must hold
    exactly the rows its manifest runs name, so the chunks themselves are encoded with nothing left out."""
    chunks = chunks or ChunkParams()
    whole = params.model_copy(update={"min_opacity": 0.0})
    try:
        started = time.perf_counter()
        visible = splats.take(kept_splats(splats, params.min_opacity)).with_sh_bands(params.sh_bands)
        levels = build_levels(visible, params.lod_ratio, params.lod_coarsest, 8)
        built = time.perf_counter()
        cut = partition(levels, chunks)
        meta = lod_meta(cut, [level.count for level in levels], chunks)
        cut_at = time.perf_counter()
        written = StreamedSog(meta=meta)
        for name, level, rows in zip(cut.filenames, cut.file_level, cut.file_rows, strict=True):
            folder = name.rsplit("/", 1)[0]
            encoded = encode_sog(levels[level].take(rows), whole, keep_order=True)
            for member, data in encoded.files:
                sink.write(f"{folder}/{member}", data)
                written.file_bytes[f"{folder}/{member}"] = len(data)
        manifest = meta.to_json()
        sink.write(META_NAME, manifest)
        written.file_bytes[META_NAME] = len(manifest)
        sink.commit()
    except BaseException:
        sink.abort()
        raise
    done = time.perf_counter()
    written.step_seconds = {
        "levels": round(built - started, 3),
        "partition": round(cut_at - built, 3),
        "encode": round(done - cut_at, 3),
    }
    log.info(
        "streamed_sog_written",
        levels=list(meta.counts),
        faint=splats.count - meta.counts[0],
        files=len(meta.filenames),
        bytes=written.total_bytes,
        seconds=written.step_seconds,
    )
    return written


def write_streamed_if_large(ply: Path, folder: Path, params: CompressParams, splats: int) -> StreamedSog | None:
    """The streamed SOG of the model at `ply` into `folder` when `splats` (those the SOG kept) reach
    `params.lod_threshold`."""
    if params.lod_threshold is None or splats < params.lod_threshold:
        return None
    return write_streamed_sog(read_ply(ply).splats, FolderSink(folder), params)
