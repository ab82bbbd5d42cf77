"""SfM artifacts in the object store: model, report, per-image diagnostics, parameters, COLMAP's log."""

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from spaceport.storage import ObjectStore, OutputSet, output_set
from spaceport_sfm.errors import SfmError
from spaceport_sfm.report import SfmReport

SPARSE_DIR = "sparse/0"
REPORT = "report.json"
DIAGNOSTICS = "diagnostics.csv"
PARAMS = "params.json"
LOG = "colmap.log"
FAILURE = "failure.json"
DIAGNOSTIC_COLUMNS = (
    "name",
    "outcome",
    "explanation",
    "sharpness",
    "blurry",
    "exposure",
    "keypoints",
    "matched_images",
    "best_match",
    "best_match_inliers",
    "next_overlap_inliers",
    "component",
    "model",
)


@dataclass(frozen=True)
class StoredArtifacts:
    """Where the outputs went."""

    report_uri: str
    images_uri: str
    sparse_uri: str | None


def store_report(store: ObjectStore, prefix: str, report: SfmReport, images_uri: str) -> StoredArtifacts:
    """Upload everything a passed or rejected job leaves behind, all or nothing."""
    with output_set(store, prefix) as out:
        sparse_uri = out.put_dir(SPARSE_DIR, report.sparse_dir) if report.sparse_dir is not None else None
        if report.sparse_dir is not None and report.images_changed:
            images_uri = out.put_dir("images", report.images_dir)
        _put_logs(out, report)
        out.put_bytes(DIAGNOSTICS, diagnostics_csv(report).encode())
        if report.attempts:
            out.put_bytes(PARAMS, report.attempts[-1].params.model_dump_json(indent=1).encode())
        report_uri = out.put_bytes(REPORT, portable(report).to_json().encode())
    return StoredArtifacts(report_uri=report_uri, images_uri=images_uri, sparse_uri=sparse_uri)


def store_failure(store: ObjectStore, prefix: str, error: SfmError) -> None:
    """Keep COLMAP's log and the failure of a job that could not reach a verdict."""
    with output_set(store, prefix) as out:
        if error.log_path is not None and error.log_path.exists():
            out.put_file(LOG, error.log_path)
        body = {"reason": error.reason, "message": error.message}
        out.put_bytes(FAILURE, json.dumps(body, indent=1).encode())


def _put_logs(out: OutputSet, report: SfmReport) -> None:
    for attempt in report.attempts:
        if attempt.log_path is not None and attempt.log_path.exists():
            name = LOG if attempt.number == len(report.attempts) else f"colmap-attempt-{attempt.number}.log"
            out.put_file(name, attempt.log_path)


def portable(report: SfmReport) -> SfmReport:
    """The report with local paths replaced by artifact names relative to the stage's folder.

    `images_dir` becomes `images` when the images SfM ran on were uploaded beside the model (video
    frames, turned photos), else `input`: the event's own images_uri.
    """
    attempts = tuple(
        attempt.model_copy(
            update={
                "log_path": Path(
                    LOG if attempt.number == len(report.attempts) else f"colmap-attempt-{attempt.number}.log"
                )
            }
        )
        for attempt in report.attempts
    )
    return report.model_copy(
        update={
            "attempts": attempts,
            "images_dir": Path("images") if report.images_changed and report.sparse_dir else Path("input"),
            "sparse_dir": Path(SPARSE_DIR) if report.sparse_dir is not None else None,
            "log_path": Path(LOG) if report.log_path is not None else None,
        }
    )


def diagnostics_csv(report: SfmReport) -> str:
    """One row per input file: each image's fate, then the files that were skipped."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(DIAGNOSTIC_COLUMNS)
    for image in report.images:
        row = image.model_dump()
        writer.writerow(["" if row[column] is None else row[column] for column in DIAGNOSTIC_COLUMNS])
    for skipped in report.skipped:
        writer.writerow(
            [skipped.name, f"skipped:{skipped.reason}", skipped.detail, *[""] * (len(DIAGNOSTIC_COLUMNS) - 3)]
        )
    return buffer.getvalue()
