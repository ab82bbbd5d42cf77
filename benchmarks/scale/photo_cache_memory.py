"""Trainer peak memory with the photos in RAM against the photos spilled to disk, on one real scene.

    nice python benchmarks/scale/photo_cache_memory.py --scene /work/shared/datasets/fox --factor 1 --steps 5 \
        --device-bytes 0 --out /tmp/photo-cache-disk

Trains `--steps` CPU steps (preview parameters otherwise, no previews) and prints one JSON line: the photo
cache's tiers, fetches and waits, the trainer's peak RSS, load and training seconds. `--device-bytes` unset:
the default budget (half the available RAM here, so every photo in memory).
"""

import argparse
import json
from pathlib import Path

from spaceport.params.trainer import PhotoCacheParams, TrainParams
from spaceport_trainer.train import train


def main() -> None:
    """Train, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scene", type=Path, required=True, help="a folder with sparse/0 and images/")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--factor", type=int, default=1)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--device-bytes", type=int, default=None)
    args = parser.parse_args()
    params = TrainParams.preset_named("preview").model_copy(
        update={
            "steps": args.steps,
            "data_factor": args.factor,
            "max_image_side": None,
            "preview_views": 0,
            "photo_cache": PhotoCacheParams(device_bytes=args.device_bytes),
        }
    )
    report = train(args.scene, args.out, params)
    cache = report.photo_cache
    print(
        json.dumps(
            {
                "image_size": report.image_size,
                "photos": cache.photos if cache else None,
                "photo_bytes": cache.bytes if cache else None,
                "fetches": cache.fetches if cache else None,
                "waits": cache.waits if cache else None,
                "peak_rss_mib": round(report.peak_rss_bytes / 2**20),
                "load_s": round(report.load_seconds, 1),
                "train_s": round(report.train_seconds, 1),
                "eval_s": round(report.eval_seconds, 1),
                "loss_log": report.loss_log,
            }
        )
    )


if __name__ == "__main__":
    main()
