"""Our reader of a streamed SOG: `lod-meta.json` and its SOG folders -> the splats of each level."""

from collections import defaultdict
from pathlib import Path

import numpy as np

from spaceport_compressor.decoder import read_sog
from spaceport_compressor.lod_meta import META_NAME, LodFormatError, LodMeta, LodRun, leaf_runs, read_lod_meta
from spaceport_compressor.splats import SplatCloud


def _concat(parts: list[SplatCloud]) -> SplatCloud:
    return SplatCloud(
        means=np.concatenate([p.means for p in parts]),
        quats=np.concatenate([p.quats for p in parts]),
        log_scales=np.concatenate([p.log_scales for p in parts]),
        f_dc=np.concatenate([p.f_dc for p in parts]),
        opacity=np.concatenate([p.opacity for p in parts]),
        sh_rest=np.concatenate([p.sh_rest for p in parts]),
    )


def check_runs(meta: LodMeta, file_counts: list[int]) -> None:
    """Each file's rows are covered once by the runs of one level, in order; else `LodFormatError`."""
    by_file: dict[int, list[tuple[int, LodRun]]] = defaultdict(list)
    for level, run in leaf_runs(meta.tree):
        by_file[run.file].append((level, run))
    per_level = [0] * meta.lodLevels
    for file, count in enumerate(file_counts):
        runs = sorted(by_file.get(file, []), key=lambda pair: pair[1].offset)
        levels = {level for level, _ in runs}
        if len(levels) != 1:
            raise LodFormatError(f"{meta.filenames[file]} is used by levels {sorted(levels)}, not exactly one")
        covered = 0
        for _, run in runs:
            if run.offset != covered:
                raise LodFormatError(f"{meta.filenames[file]}: a run starts at {run.offset}, expected {covered}")
            covered += run.count
        if covered != count:
            raise LodFormatError(f"{meta.filenames[file]} holds {count} splats, its runs cover {covered}")
        per_level[levels.pop()] += count
    if tuple(per_level) != meta.counts:
        raise LodFormatError(f"levels hold {per_level} splats, the manifest says {list(meta.counts)}")


def read_streamed_sog(path: Path) -> tuple[LodMeta, list[SplatCloud]]:
    """The manifest and the splats of each level (finest first) of `path` (lod-meta.json or its folder)."""
    if path.is_dir():
        path = path / META_NAME
    meta = read_lod_meta(path.read_bytes())
    files = [read_sog(path.parent / name) for name in meta.filenames]
    check_runs(meta, [f.count for f in files])
    levels: list[list[SplatCloud]] = [[] for _ in range(meta.lodLevels)]
    for level, run in leaf_runs(meta.tree):
        levels[level].append(files[run.file].take(np.arange(run.offset, run.offset + run.count)))
    return meta, [_concat(parts) for parts in levels]
