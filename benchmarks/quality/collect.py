"""Gather the raw JSON-lines records (`raw/*.jsonl`) into `results.json`: one record per scene, preset and device.

    python benchmarks/quality/collect.py

Fields: scene, preset, device, psnr, psnr_colour_fit (after a per-view affine colour fit; None before
session 6), ssim, seconds (photos to .sog, the embedded pipeline), then registered
photos, Gaussians, stage seconds, pose error where a ground truth exists, and the largest held-out render
offset in pixels at the training size (`max_offset_px`). A later record of the same scene, preset and device
replaces an earlier one.
"""

import json
from pathlib import Path

HERE = Path(__file__).parent


def summary(record: dict[str, object]) -> dict[str, object]:
    """The published fields of one raw record."""
    views = record.get("views") or []
    return {
        "scene": record["scene"],
        "preset": record["preset"],
        "device": record["device"],
        "psnr": record["psnr"],
        "psnr_colour_fit": record.get("psnr_colour_fit"),
        "ssim": record["ssim"],
        "seconds": record["seconds"],
        "registered": record.get("registered"),
        "gaussians": record.get("gaussians"),
        "stage_seconds": record.get("stage_seconds"),
        "pose_rotation_median_deg": record.get("pose_rotation_median_deg"),
        "pose_centre_median": record.get("pose_centre_median"),
        "max_offset_px": max((float(v["edge_px"]) for v in views if v["edge_px"] is not None), default=None),  # type: ignore[index]
        "heldout_views": {v["name"]: round(float(v["psnr"]), 2) for v in views},  # type: ignore[index]
        "criteria_failed": record.get("criteria_failed", []),
        **({"note": record["note"]} if "note" in record else {}),
    }


def main() -> None:
    records: dict[tuple[str, str, str], dict[str, object]] = {}
    for path in sorted((HERE / "raw").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                record = summary(json.loads(line))
                records[(str(record["scene"]), str(record["preset"]), str(record["device"]))] = record
    ordered = sorted(records.values(), key=lambda r: (str(r["device"]) == "cpu", str(r["scene"])))
    (HERE / "results.json").write_text(json.dumps(ordered, indent=1) + "\n")
    print(f"{len(ordered)} records")


if __name__ == "__main__":
    main()
