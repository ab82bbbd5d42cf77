"""Splat parameters: initialisation from SfM points, one Adam over named groups, the LR schedule."""

import math

import torch
from torch import Tensor

from spaceport.params.trainer import TrainParams
from spaceport_splats.render import Splats
from spaceport_splats.sh import num_bases, rgb_to_sh

PARAM_NAMES = ("means", "scales", "quats", "opacities", "sh0", "shN")


def knn_mean_distance(points: Tensor, k: int = 3, chunk: int = 1024) -> Tensor:
    """RMS distance of each point to its `k` nearest neighbours."""  # [P, 3] -> [P]
    out = []
    for start in range(0, len(points), chunk):
        d2 = torch.cdist(points[start : start + chunk], points).pow(2)  # [c, P]
        nearest = torch.topk(d2, min(k + 1, len(points)), dim=1, largest=False).values[:, 1:]
        out.append(nearest.mean(dim=1).sqrt())
    return torch.cat(out)


def init_splats(points: Tensor, colors: Tensor, params: TrainParams, generator: torch.Generator) -> Splats:
    """Splats at the SfM points (at most `max_gaussians`, sampled), isotropic, coloured by the points."""
    if len(points) > params.max_gaussians:
        keep = torch.randperm(len(points), generator=generator)[: params.max_gaussians].to(points.device)
        points, colors = points[keep], colors[keep]
    n = len(points)
    dist = knn_mean_distance(points)
    dist = dist.clamp(1e-7, 10 * float(dist.median()))  # isolated SfM points would start as huge splats
    log_scale = torch.log(dist * params.init_scale)[:, None].repeat(1, 3)  # [N, 3]
    quats = torch.rand((n, 4), generator=generator).to(points.device)  # [N, 4], as gsplat's trainer
    logit = math.log(params.init_opacity / (1 - params.init_opacity))
    rest = num_bases(params.sh_degree) - 1
    splats = {
        "means": points.clone(),
        "scales": log_scale,
        "quats": quats,
        "opacities": torch.full((n,), logit, device=points.device),
        "sh0": rgb_to_sh(colors)[:, None, :].contiguous(),  # [N, 1, 3]
        "shN": torch.zeros((n, rest, 3), device=points.device),  # [N, K-1, 3]
    }
    return {name: t.float().requires_grad_(True) for name, t in splats.items()}


def base_lrs(params: TrainParams, scene_extent: float) -> dict[str, float]:
    """Initial learning rate of each group."""
    lr = params.lr
    return {
        "means": lr.means * scene_extent,
        "scales": lr.scales,
        "quats": lr.quats,
        "opacities": lr.opacities,
        "sh0": lr.sh0,
        "shN": lr.shn,
    }


def make_optimizer(splats: Splats, lrs: dict[str, float]) -> torch.optim.Adam:
    """One Adam with a named group per parameter (eps 1e-15, as 3DGS); fused on CUDA."""
    groups = [{"params": [splats[name]], "lr": lrs[name], "name": name} for name in PARAM_NAMES]
    fused = splats["means"].is_cuda
    return torch.optim.Adam(groups, eps=1e-15, fused=fused)


def means_lr(params: TrainParams, scene_extent: float, step: int) -> float:
    """Means LR at `step`: exponential decay to `means_final_factor` at the last step."""
    frac = min(step / max(params.steps, 1), 1.0)
    return params.lr.means * scene_extent * params.lr.means_final_factor**frac


def set_means_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Set the LR of the `means` group."""
    for group in optimizer.param_groups:
        if group["name"] == "means":
            group["lr"] = lr
