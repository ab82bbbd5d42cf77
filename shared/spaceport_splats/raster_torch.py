"""Our differentiable rasterizer in plain PyTorch: the CPU backend of `render()`.

Each splat is expanded to the pixels of its bounding box (3 sigma, shrunk for faint splats, as gsplat
does); pairs whose alpha is below 1/255 are dropped at once. The surviving (pixel, splat) pairs are
sorted by pixel, then depth, so every pixel's splats form one segment of a flat list: memory and work
grow with the splats' footprints, not with tiles. Front-to-back transmittance is a segmented exclusive
cumulative sum of log(1 - alpha) in float64, and the compositing has a hand-written backward pass;
autograd differentiates the (cheap, elementwise) alphas. Constants follow gsplat: pixel centres at
+0.5, alpha = min(0.999, o * exp(-sigma)), alpha < 1/255 skipped. Unlike gsplat there is no early stop
once transmittance is tiny (its effect is below 1e-4 per pixel).
"""

import torch
from torch import Tensor

from spaceport_splats.projection import ALPHA_MIN

ALPHA_MAX = 0.999


@torch.no_grad()
def expand_pairs(means2d: Tensor, conics: Tensor, opacities: Tensor, width: int, height: int) -> tuple[Tensor, Tensor]:
    """(splat, pixel) pairs of every splat's bounding box: splat ids [M], pixel ids [M] (row-major)."""
    a, b, c = conics.unbind(-1)
    det = (a * c - b * b).clamp_min(1e-12)
    extent = torch.sqrt(2 * torch.log((opacities / ALPHA_MIN).clamp_min(1.0))).clamp_max(3.0)
    half = extent[:, None] * torch.stack([c / det, a / det], dim=-1).sqrt()  # [N, 2] (cov_xx, cov_yy)
    lo = torch.ceil(means2d - half - 0.5).long()  # first pixel whose centre is inside
    hi = torch.floor(means2d + half - 0.5).long()
    lo[:, 0].clamp_(0, width)
    hi[:, 0].clamp_(-1, width - 1)
    lo[:, 1].clamp_(0, height)
    hi[:, 1].clamp_(-1, height - 1)
    span = (hi - lo + 1).clamp_min(0)  # [N, 2]
    counts = span[:, 0] * span[:, 1]
    splat_ids = torch.repeat_interleave(torch.arange(len(counts), device=means2d.device), counts)
    local = torch.arange(len(splat_ids), device=means2d.device) - (torch.cumsum(counts, 0) - counts)[splat_ids]
    px = lo[splat_ids, 0] + local % span[splat_ids, 0]
    py = lo[splat_ids, 1] + local // span[splat_ids, 0]
    return splat_ids, py * width + px


def pair_alphas(
    means2d: Tensor, conics: Tensor, opacities: Tensor, splat_ids: Tensor, pixel_ids: Tensor, width: int
) -> Tensor:
    """Alpha of each (splat, pixel) pair; differentiable w.r.t. means, conics and opacities."""  # [M]
    centre = torch.stack([pixel_ids % width, pixel_ids // width], dim=-1).to(means2d.dtype) + 0.5
    d = centre - means2d[splat_ids]  # [M, 2]
    a, b, c = conics[splat_ids].unbind(-1)
    sigma = 0.5 * (a * d[:, 0] ** 2 + c * d[:, 1] ** 2) + b * d[:, 0] * d[:, 1]
    return (opacities[splat_ids] * torch.exp(-sigma)).clamp_max(ALPHA_MAX)


def _segments(keys: Tensor) -> tuple[Tensor, Tensor]:
    """For a sorted key list: index of the first and of the last entry of each entry's segment."""
    n = len(keys)
    starts = torch.ones(n, dtype=torch.bool, device=keys.device)
    starts[1:] = keys[1:] != keys[:-1]
    seg = torch.cumsum(starts.long(), 0) - 1
    first_pos = torch.nonzero(starts, as_tuple=True)[0]
    last_pos = torch.cat([first_pos[1:] - 1, first_pos.new_tensor([n - 1])])
    return first_pos[seg], last_pos[seg]


class _Composite(torch.autograd.Function):
    """Sorted pairs -> per-pixel colour and alpha [P, C+1], front to back, with an analytic backward."""

    @staticmethod
    def forward(ctx, alpha, colors, pixel_ids, first, last, n_pixels):
        log_t = torch.log1p(-alpha).double()
        excl = torch.cumsum(log_t, 0) - log_t  # [M] float64
        trans = torch.exp(excl - excl[first]).to(alpha.dtype)
        weights = alpha * trans
        colors_a = torch.cat([colors, torch.ones_like(colors[:, :1])], dim=-1)  # [M, C+1]
        out = alpha.new_zeros(n_pixels, colors_a.shape[-1]).index_add_(0, pixel_ids, weights[:, None] * colors_a)
        ctx.save_for_backward(alpha, colors_a, trans, pixel_ids, last)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        alpha, colors_a, trans, pixel_ids, last = ctx.saved_tensors
        g_pix = grad_out[pixel_ids]  # [M, C+1]
        weights = alpha * trans
        g_w = (g_pix * colors_a).sum(-1)  # dL/d(weight)
        incl = torch.cumsum((g_w * weights).double(), 0)
        after = (incl[last] - incl).to(alpha.dtype)  # the same sum over the later pairs of the pixel
        g_alpha = trans * g_w - after / (1.0 - alpha)
        g_colors = (weights[:, None] * g_pix)[:, :-1]
        return g_alpha, g_colors, None, None, None, None


def rasterize(
    means2d: Tensor, conics: Tensor, colors: Tensor, opacities: Tensor, depths: Tensor, width: int, height: int
) -> tuple[Tensor, Tensor]:
    """Composite splats front to back: image [H, W, C] and alpha [H, W, 1] (no background)."""
    channels = colors.shape[-1]
    splat_ids, pixel_ids = expand_pairs(means2d.detach(), conics.detach(), opacities.detach(), width, height)
    with torch.no_grad():
        keep = pair_alphas(means2d, conics, opacities, splat_ids, pixel_ids, width) >= ALPHA_MIN
        splat_ids, pixel_ids = splat_ids[keep], pixel_ids[keep]
        rank = torch.empty_like(depths, dtype=torch.long)
        rank[torch.argsort(depths)] = torch.arange(len(depths), device=depths.device)
        order = torch.argsort(pixel_ids * max(len(depths), 1) + rank[splat_ids])
        splat_ids, pixel_ids = splat_ids[order], pixel_ids[order]
        first, last = _segments(pixel_ids)
    alpha = pair_alphas(means2d, conics, opacities, splat_ids, pixel_ids, width)
    out = _Composite.apply(alpha, colors[splat_ids], pixel_ids, first, last, width * height)
    out = out.reshape(height, width, channels + 1)
    return out[..., :channels], out[..., channels:]
