"""Where a trained model loses its held-out PSNR: per view, the image border against the centre, and how much a
per-view colour fit (exposure / white balance) would recover; a montage of the worst views' error maps.

Usage (GPU machine, after bench_fox.py wrote `<run>/model.ply`):
    python benchmarks/trainer/heldout_errors.py --scene DIR --run-dir DIR [--png OUT.png] [--border 0.08]
Prints one JSON line per view and one for the mean. Diagnostic only: the trainer's own scores are the figures.
"""

import argparse
import json
import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from spaceport.params.trainer import TrainParams
from spaceport_splats.colmap import read_sparse_model
from spaceport_splats.dataset import load_scene
from spaceport_splats.export import from_world, read_ply, to_splats
from spaceport_splats.render import render


def psnr_of(mse: float) -> float:
    """PSNR in dB of a mean squared error over [0, 1] pixels."""
    return -10.0 * math.log10(max(mse, 1e-12))


def colour_fitted_mse(image: Tensor, target: Tensor) -> float:
    """MSE after the least-squares affine map per channel from render to photo (what exposure could explain)."""
    x, y = image.reshape(-1, 3), target.reshape(-1, 3)
    out = []
    for c in range(3):
        a = torch.stack([x[:, c], torch.ones_like(x[:, c])], dim=1)
        coef = torch.linalg.lstsq(a, y[:, c : c + 1]).solution
        out.append(((a @ coef).squeeze(1) - y[:, c]).pow(2).mean())
    return float(torch.stack(out).mean())


def border_mask(height: int, width: int, share: float, device: torch.device) -> Tensor:
    """True within `share` of the image size from any edge."""  # [H, W]
    by, bx = max(1, int(height * share)), max(1, int(width * share))
    mask = torch.ones(height, width, dtype=torch.bool, device=device)
    mask[by:-by, bx:-bx] = False
    return mask


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scene", required=True, type=Path)
    parser.add_argument("--run-dir", required=True, type=Path)
    parser.add_argument("--png", type=Path)
    parser.add_argument("--border", type=float, default=0.08)
    args = parser.parse_args()
    report = json.loads((args.run_dir.parent / f"{args.run_dir.name}.json").read_text())
    params = TrainParams.model_validate(report["params"])
    device = torch.device("cuda")
    data = load_scene(
        read_sparse_model(args.scene / "sparse" / "0"),
        args.scene / "images",
        params.data_factor,
        params.max_image_side,
        params.test_every,
        device,
    )
    splats = to_splats(from_world(read_ply(args.run_dir / "model.ply"), data.transform), device)
    rows, tiles = [], []
    with torch.no_grad():
        for view in data.test:
            image = render(splats, view.camera, params.sh_degree).image.clamp(0, 1)
            target = view.target()
            err = (image - target).pow(2).mean(dim=-1)  # [H, W]
            edge = border_mask(*err.shape, args.border, device)
            row = {
                "view": view.name,
                "psnr": psnr_of(float(err.mean())),
                "psnr_centre": psnr_of(float(err[~edge].mean())),
                "psnr_border": psnr_of(float(err[edge].mean())),
                "border_share_of_error": float(err[edge].sum() / err.sum()),
                "psnr_colour_fitted": psnr_of(colour_fitted_mse(image, target)),
                "mean_rgb_photo_over_render": (target.mean(dim=(0, 1)) / image.mean(dim=(0, 1)).clamp_min(1e-6))
                .cpu()
                .tolist(),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
            heat = (err.sqrt() * 4).clamp(0, 1)[..., None].expand(-1, -1, 3)
            tiles.append((row["psnr"], torch.cat([target, image, heat], dim=1)))
    mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0] if k.startswith(("psnr", "border"))}
    print(json.dumps({"mean": mean}), flush=True)
    if args.png:
        worst = [tile for _, tile in sorted(tiles, key=lambda t: t[0])[:2]]
        pixels = (torch.cat(worst, dim=0) * 255 + 0.5).to(torch.uint8).cpu().numpy()
        im = Image.fromarray(pixels)
        im.resize((im.width // 2, im.height // 2), Image.Resampling.BILINEAR).save(args.png)


if __name__ == "__main__":
    main()
