"""The pycolmap child process: `python -m spaceport_sfm.child REQUEST.json RESULT.json`.

Runs extraction, matching, mapping and statistics for one attempt. Progress goes to stdout as JSON
lines; COLMAP's log (and this process's) goes to stderr, which the parent keeps as `colmap.log`. A
Python error leaves a ChildFailure in RESULT.json; a native crash leaves nothing, and the parent
reports the signal.
"""

import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pycolmap
import structlog

from spaceport.logging import configure_logging
from spaceport_sfm.colmap_options import guided_matching_applies, uses_gpu
from spaceport_sfm.features import extract
from spaceport_sfm.mapping import refine_principal_point, run_mapper
from spaceport_sfm.matching import match
from spaceport_sfm.parent_watch import die_with_parent
from spaceport_sfm.protocol import ChildFailure, ChildProgress, ChildRequest, ChildResult, ChildStep
from spaceport_sfm.report import PrincipalPointCheck
from spaceport_sfm.statistics import database_stats, matched_pair_count, summarize

log = structlog.get_logger(__name__)
T = TypeVar("T")


def emit(step: ChildStep, fraction: float, message: str = "") -> None:
    """Tell the parent how far this step is."""
    line = ChildProgress(step=step, fraction=min(max(fraction, 0.0), 1.0), message=message).model_dump_json()
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class _Clock:
    """Wall and CPU seconds per step (CPU: all threads of this process, which a loaded machine does not inflate)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu_seconds: dict[str, float] = {}
        self.peak_rss: dict[str, int] = {}  # this process's peak RSS by the end of each step

    def run(self, step: ChildStep, work: Callable[[], T]) -> T:
        emit(step, 0.0)
        start, cpu_start = time.monotonic(), _cpu_seconds()
        result = work()
        self.seconds[step] = round(time.monotonic() - start, 3)
        self.cpu_seconds[step] = round(_cpu_seconds() - cpu_start, 3)
        self.peak_rss[step] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        emit(step, 1.0)
        return result


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(request: ChildRequest) -> ChildResult:
    """Extraction, matching, mapping and statistics for one attempt."""
    params, threads, work = request.params, request.threads, request.work_dir
    database = work / "database.db"
    names = list(request.image_names)
    clock = _Clock()
    clock.run("extraction", lambda: extract(database, request.images_dir, names, params, threads, request.masks_dir))
    pairing = clock.run("matching", lambda: match(database, work, params, request.input_kind, threads))

    def on_registered(count: int) -> None:
        emit("mapping", count / max(len(names), 1), f"{count} images registered")

    def map_and_refine() -> tuple[list[pycolmap.Reconstruction], PrincipalPointCheck | None]:
        models = run_mapper(
            database, request.images_dir, work / "mapper", params, threads, on_registered, len(request.image_names)
        )
        if not (models and params.refine_principal_point):
            return models, None
        best, check = refine_principal_point(models[0], threads)
        return [best, *models[1:]], check

    models, check = clock.run("mapping", map_and_refine)
    sparse_dir = work / "sparse" / "0" if models else None

    def statistics() -> ChildResult:
        if sparse_dir is not None:
            sparse_dir.mkdir(parents=True, exist_ok=True)
            models[0].write(sparse_dir)
        images, pairs = database_stats(database)
        return ChildResult(
            step_seconds={},
            pairing=pairing,
            device="cuda" if uses_gpu() else "cpu",
            guided_matching=guided_matching_applies(params),
            images=images,
            pairs=pairs,
            matched_pairs=matched_pair_count(database),
            models=tuple(summarize(model, index) for index, model in enumerate(models)),
            principal_point=check,
            sparse_dir=sparse_dir,
        )

    result = clock.run("statistics", statistics)
    return result.model_copy(
        update={
            "step_seconds": clock.seconds,
            "step_cpu_seconds": clock.cpu_seconds,
            "step_peak_rss_bytes": clock.peak_rss,
            "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        }
    )


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    """Run one attempt described by a request file; write its result file."""
    die_with_parent()
    request_path, result_path = (Path(a) for a in (argv or sys.argv[1:]))
    configure_logging("info", "json", stream=sys.stderr)
    pycolmap.logging.minloglevel = 0
    pycolmap.logging.logtostderr = True
    request = ChildRequest.model_validate_json(request_path.read_text())
    try:
        result = run(request)
    except Exception as exc:
        log.exception("sfm_child_failed")
        _write(result_path, ChildFailure(error=type(exc).__name__, message=str(exc)).model_dump_json())
        return 1
    _write(result_path, result.model_dump_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
