"""Time to quality: how soon each of our runs reaches the PSNR gsplat's `simple_trainer` had at 7k steps.

python benchmarks/trainer/time_to_quality.py OURS_JSON BASELINE_JSON   (both as run_gpu.sh leaves them in $OUT)

The baseline's figures are its own (reference protocol: undistorted, cropped views), its time its `ellipse_time` at
step 6999, its memory its `mem` (`max_memory_allocated` / 2**30, GiB). Ours come from the held-out evaluations each run
recorded (`eval_steps`) on our protocol, which scores the same model about 0.3 dB lower (benchmarks/trainer,
"One model, three ways"): reaching the baseline's figure on ours is the stricter test. Training seconds exclude
evaluations and checkpoints on both sides. Prints one line per run.
"""

import json
import sys
from pathlib import Path


def first_reaching(evaluations: list[dict[str, float]], psnr: float) -> dict[str, float] | None:
    """The earliest evaluation at or above `psnr`, or None."""
    for e in sorted(evaluations, key=lambda e: e["step"]):
        if (e.get("psnr") or 0.0) >= psnr:
            return e
    return None


def main() -> None:
    ours = json.loads(Path(sys.argv[1]).read_text())
    stats = json.loads(Path(sys.argv[2]).read_text())
    val, train = stats["val_step6999"], stats["train_step6999_rank0"]
    target, seconds, memory = val["psnr"], train["ellipse_time"], train["mem"]
    print(
        f"BASELINE 7k: PSNR {target:.3f} SSIM {val['ssim']:.4f} splats {val['num_GS']} "
        f"train {seconds:.1f} s peak {memory:.3f} GiB"
    )
    for label, run in ours.items():
        hit = first_reaching(run["evaluations"], target)
        peak = run["peak_memory_bytes"] / 2**30
        if hit is None:
            best = max(run["evaluations"], key=lambda e: e.get("psnr") or 0.0)
            print(
                f"TTQ {label}: never reached {target:.3f} (best {best['psnr']:.3f} at {best['step']}) "
                f"peak {peak:.3f} GiB"
            )
            continue
        spent = hit["train_seconds"]
        print(
            f"TTQ {label}: {hit['psnr']:.3f} dB at step {hit['step']} after {spent:.1f} s of training: "
            f"{seconds / spent:.2f}x faster than the baseline's 7k; peak {peak:.3f} GiB ({peak / memory:.2f}x)"
        )


if __name__ == "__main__":
    main()
