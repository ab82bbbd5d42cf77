"""Score a trained model on the held-out views the way gsplat's `simple_trainer.py` v1.5.3 scores its own.

Our trainer scores on the original photos, whole frame, through the distorted camera. The reference trainer
(and the 31.5 dB target taken from it) scores on photos undistorted with OpenCV at the training size,
`getOptimalNewCameraMatrix(alpha=0)` + bilinear `remap`, then cropped to the valid region (fox: 539x959 from
540x960), with a pinhole render of that crop. This script applies exactly that to our `.ply`, so the two
trainers can be compared on one protocol; our own figure stays the whole-frame one.

Usage (GPU machine; CPU works for small models):
    python benchmarks/trainer/reference_protocol.py --sparse DIR/sparse/0 --images DIR/images --ply model.ply
        [--factor 2] [--test-every 8] [--sh-degree 3] [--json OUT.json]
"""

import argparse
import json
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import Tensor

from spaceport_splats.cameras import Camera, Lens
from spaceport_splats.colmap import read_sparse_model
from spaceport_splats.dataset import View, load_scene
from spaceport_splats.export import from_world, read_ply, to_splats
from spaceport_splats.render import Splats, render
from spaceport_splats.ssim import psnr, ssim


def opencv_distortion(lens: Lens) -> np.ndarray | None:
    """OpenCV's [k1, k2, p1, p2, k3] for a pinhole lens without rational terms (what gsplat's parser reads)."""
    if lens.projection != "pinhole" or any(lens.radial[3:]):
        return None
    k = (*lens.radial, 0.0, 0.0, 0.0)[:3]
    return np.array([k[0], k[1], lens.tangential[0], lens.tangential[1], k[2]], dtype=np.float64)


def undistorted_crop(view: View) -> tuple[np.ndarray, np.ndarray] | None:
    """(photo undistorted and cropped [h, w, 3] uint8, its pinhole K [3, 3]) as gsplat's parser makes them."""
    dist = opencv_distortion(view.camera.lens)
    if dist is None:
        return None
    K = view.camera.K.cpu().double().numpy()
    w, h = view.camera.width, view.camera.height
    new_k, (x, y, rw, rh) = cv2.getOptimalNewCameraMatrix(K, dist, (w, h), 0)
    mapx, mapy = cv2.initUndistortRectifyMap(K, dist, None, new_k, (w, h), cv2.CV_32FC1)
    photo = cv2.remap(view.image.cpu().numpy(), mapx, mapy, cv2.INTER_LINEAR)[y : y + rh, x : x + rw]
    new_k = new_k.copy()
    new_k[0, 2] -= x
    new_k[1, 2] -= y
    return photo, new_k


def render_ut(splats: Splats, camera: Camera, sh_degree: int) -> Tensor:
    """A pinhole render through gsplat's 3DGUT path (3D evaluation), the renderer our model was trained with."""
    from gsplat import rasterization

    image, _, _ = rasterization(
        means=splats["means"],
        quats=splats["quats"],
        scales=torch.exp(splats["scales"]),
        opacities=torch.sigmoid(splats["opacities"]),
        colors=torch.cat([splats["sh0"], splats["shN"]], dim=1),
        viewmats=camera.viewmat[None],
        Ks=camera.K[None],
        width=camera.width,
        height=camera.height,
        sh_degree=sh_degree,
        camera_model="pinhole",
        with_ut=True,
        packed=False,
        with_eval3d=True,
        radial_coeffs=torch.zeros(1, 6, device=camera.K.device),
    )
    return image[0]


def score(image: Tensor, target: Tensor) -> dict[str, float]:
    """Our PSNR/SSIM and, when installed, torchmetrics' (the reference trainer's metric code)."""
    image = image.clamp(0.0, 1.0)
    out = {"psnr": float(psnr(image, target)), "ssim": float(ssim(image, target))}
    try:
        from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure
    except ImportError:
        return out
    a, b = image.permute(2, 0, 1)[None], target.permute(2, 0, 1)[None]
    out["psnr_torchmetrics"] = float(peak_signal_noise_ratio(a, b, data_range=1.0))
    out["ssim_torchmetrics"] = float(structural_similarity_index_measure(a, b, data_range=1.0))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sparse", required=True, type=Path)
    parser.add_argument("--images", required=True, type=Path)
    parser.add_argument("--ply", required=True, type=Path)
    parser.add_argument("--factor", type=int, default=2)
    parser.add_argument("--test-every", type=int, default=8)
    parser.add_argument("--sh-degree", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    data = load_scene(read_sparse_model(args.sparse), args.images, args.factor, None, args.test_every, device)
    splats = to_splats(from_world(read_ply(args.ply), data.transform), device)
    rows = []
    with torch.no_grad():
        for view in data.test:
            whole = score(render(splats, view.camera, args.sh_degree).image, view.target())
            crop = undistorted_crop(view)
            if crop is None:
                rows.append({"view": view.name, "whole_frame": whole})
                continue
            photo, new_k = crop
            target = torch.from_numpy(photo).to(device).float() / 255.0
            pinhole = replace(
                view.camera,
                K=torch.as_tensor(new_k, dtype=torch.float32, device=device),
                width=photo.shape[1],
                height=photo.shape[0],
                lens=Lens("pinhole"),
                coeffs=None,
            )
            row = {
                "view": view.name,
                "size": [photo.shape[1], photo.shape[0]],
                "whole_frame": whole,
                "reference_ewa": score(render(splats, pinhole, args.sh_degree).image, target),
            }
            if device.type == "cuda":
                row["reference_ut"] = score(render_ut(splats, pinhole, args.sh_degree), target)
            rows.append(row)
            print(json.dumps(row), flush=True)
    summary = {
        protocol: {k: float(np.mean([r[protocol][k] for r in rows])) for k in rows[0][protocol]}
        for protocol in ("whole_frame", "reference_ewa", "reference_ut")
        if all(protocol in r for r in rows)
    }
    print(json.dumps({"mean": summary}), flush=True)
    if args.json:
        args.json.write_text(json.dumps({"mean": summary, "views": rows}, indent=1))


if __name__ == "__main__":
    main()
