"""Our differentiable tile rasterizer in plain PyTorch: the CPU backend of `render()`.

Each splat is binned into the square tiles its 2D extent touches. The (tile, splat) pairs are sorted by
tile, then depth, and evaluated densely against the pixels of their tile ([pairs, tile^2]). Front-to-back
transmittance is a segmented exclusive cumulative product, taken as an exclusive cumulative sum of
log(1 - alpha) in float64 relative to each tile's first pair. Autograd gives the backward pass.
Constants follow gsplat: pixel centres at +0.5, alpha = min(0.999, o * exp(-sigma)), alpha < 1/255 skipped.
Unlike gsplat there is no early stop once transmittance is tiny (its effect is below 1e-4 per pixel).
"""

from dataclasses import dataclass

import torch
from torch import Tensor

from spaceport_trainer.projection import ALPHA_MIN

ALPHA_MAX = 0.999


@dataclass(frozen=True)
class Binned:
    """(tile, splat) pairs sorted by tile then depth."""

    tile_ids: Tensor  # [M] int64
    splat_ids: Tensor  # [M] int64, index the projected splats
    first: Tensor  # [M] int64, index of the first pair of the same tile
    tiles_x: int
    tiles_y: int


@torch.no_grad()
def bin_tiles(means2d: Tensor, radii: Tensor, depths: Tensor, width: int, height: int, tile: int) -> Binned:
    """Every (tile, splat) pair whose tile the splat's square extent touches."""
    tiles_x, tiles_y = -(-width // tile), -(-height // tile)
    lo = torch.floor((means2d - radii[:, None]) / tile).long()
    hi = torch.floor((means2d + radii[:, None]) / tile).long()
    lo[:, 0].clamp_(0, tiles_x - 1)
    hi[:, 0].clamp_(0, tiles_x - 1)
    lo[:, 1].clamp_(0, tiles_y - 1)
    hi[:, 1].clamp_(0, tiles_y - 1)
    span = hi - lo + 1  # [N, 2]
    counts = span[:, 0] * span[:, 1]
    splat_ids = torch.repeat_interleave(torch.arange(len(counts), device=means2d.device), counts)
    starts = torch.cumsum(counts, 0) - counts
    local = torch.arange(len(splat_ids), device=means2d.device) - starts[splat_ids]
    tx = lo[splat_ids, 0] + local % span[splat_ids, 0]
    ty = lo[splat_ids, 1] + local // span[splat_ids, 0]
    tile_ids = ty * tiles_x + tx
    depth_rank = torch.empty_like(depths, dtype=torch.long)
    depth_rank[torch.argsort(depths)] = torch.arange(len(depths), device=depths.device)
    order = torch.argsort(tile_ids * max(len(depths), 1) + depth_rank[splat_ids])
    tile_ids, splat_ids = tile_ids[order], splat_ids[order]
    is_first = torch.ones_like(tile_ids, dtype=torch.bool)
    is_first[1:] = tile_ids[1:] != tile_ids[:-1]
    first_pos = torch.nonzero(is_first, as_tuple=True)[0]
    first = first_pos[torch.cumsum(is_first.long(), 0) - 1]
    return Binned(tile_ids, splat_ids, first, tiles_x, tiles_y)


def _pixel_offsets(tile: int, device: torch.device, dtype: torch.dtype) -> Tensor:
    ys, xs = torch.meshgrid(torch.arange(tile), torch.arange(tile), indexing="ij")
    return torch.stack([xs, ys], dim=-1).reshape(-1, 2).to(device=device, dtype=dtype) + 0.5  # [P, 2]


def _segment_ends(first: Tensor) -> Tensor:
    """[M] index of the last pair of each pair's tile, from the index of its first."""
    count = len(first)
    is_last = torch.ones(count, dtype=torch.bool, device=first.device)
    is_last[:-1] = first[1:] != first[:-1]
    last_pos = torch.nonzero(is_last, as_tuple=True)[0]
    return last_pos[torch.cumsum(torch.cat([is_last.new_zeros(1), is_last[:-1]]).long(), 0)]


class _Composite(torch.autograd.Function):
    """Pairs -> tiles [T, P, C+1] (colour and alpha), with a hand-written backward pass."""

    @staticmethod
    def forward(ctx, means2d, conics, colors, opacities, binned, offsets, n_tiles):  # type: ignore[override]
        sid, tid = binned.splat_ids, binned.tile_ids
        origin = torch.stack([tid % binned.tiles_x, tid // binned.tiles_x], -1).to(means2d.dtype) * offsets.tile
        dx = origin[:, :1] + offsets.xy[None, :, 0] - means2d[sid, :1]  # [M, P]
        dy = origin[:, 1:] + offsets.xy[None, :, 1] - means2d[sid, 1:]
        a, b, c = (v[:, None] for v in conics[sid].unbind(-1))
        sigma = 0.5 * (a * dx * dx + c * dy * dy) + b * dx * dy
        raw = opacities[sid][:, None] * torch.exp(-sigma)
        valid = (sigma >= 0) & (raw >= ALPHA_MIN)
        alpha = torch.where(valid, raw.clamp_max(ALPHA_MAX), torch.zeros_like(raw))
        log_t = torch.log1p(-alpha).double()
        excl = torch.cumsum(log_t, 0) - log_t  # [M, P] float64
        trans = torch.exp(excl - excl[binned.first]).to(alpha.dtype)
        weights = alpha * trans
        colors_a = torch.cat([colors, torch.ones_like(colors[:, :1])], dim=-1)[sid]  # [M, C+1]
        out = means2d.new_zeros(n_tiles, offsets.xy.shape[0], colors_a.shape[-1])
        out.index_add_(0, tid, weights[..., None] * colors_a[:, None, :])
        ctx.binned = binned
        ctx.save_for_backward(means2d, conics, colors_a, opacities, dx, dy, alpha, trans, valid & (raw < ALPHA_MAX))
        return out

    @staticmethod
    def backward(ctx, grad_out):  # type: ignore[override]
        means2d, conics, colors_a, opacities, dx, dy, alpha, trans, live = ctx.saved_tensors
        binned = ctx.binned
        sid, tid = binned.splat_ids, binned.tile_ids
        g_pix = grad_out[tid]  # [M, P, C+1]
        weights = alpha * trans
        g_col = torch.einsum("mp,mpc->mc", weights, g_pix)  # [M, C+1]
        g_w = torch.einsum("mpc,mc->mp", g_pix, colors_a)  # dL/d(weight) [M, P]
        incl = torch.cumsum((g_w * weights).double(), 0)
        after = (incl[_segment_ends(binned.first)] - incl).to(alpha.dtype)  # sum over later pairs in the tile
        g_alpha = trans * g_w - after / (1.0 - alpha)
        g_sigma = torch.where(live, -alpha * g_alpha, torch.zeros_like(alpha))
        a, b, c = (v[:, None] for v in conics[sid].unbind(-1))
        g_conic = torch.stack(
            [0.5 * (g_sigma * dx * dx).sum(1), (g_sigma * dx * dy).sum(1), 0.5 * (g_sigma * dy * dy).sum(1)],
            dim=-1,
        )
        g_mean = -torch.stack([(g_sigma * (a * dx + b * dy)).sum(1), (g_sigma * (c * dy + b * dx)).sum(1)], -1)
        g_opac = (g_alpha * torch.where(live, alpha, torch.zeros_like(alpha))).sum(1) / opacities[sid]
        return (
            torch.zeros_like(means2d).index_add_(0, sid, g_mean),
            torch.zeros_like(conics).index_add_(0, sid, g_conic),
            torch.zeros_like(colors_a[:0, :-1])
            .new_zeros(len(means2d), colors_a.shape[-1] - 1)
            .index_add_(0, sid, g_col[:, :-1]),
            torch.zeros_like(opacities).index_add_(0, sid, g_opac),
            None,
            None,
            None,
        )


@dataclass(frozen=True)
class _Offsets:
    xy: Tensor  # [P, 2] pixel centres within a tile
    tile: int


def composite(
    means2d: Tensor,
    conics: Tensor,
    colors: Tensor,
    opacities: Tensor,
    binned: Binned,
    width: int,
    height: int,
    tile: int,
) -> tuple[Tensor, Tensor]:
    """Alpha-composite front to back: image [H, W, C] and alpha [H, W, 1] (no background)."""
    channels = colors.shape[-1]
    if len(binned.tile_ids) == 0:
        zeros = means2d.new_zeros(height, width, channels + 1) + 0 * colors.sum() + 0 * means2d.sum()
        return zeros[..., :channels], zeros[..., channels:]
    offsets = _Offsets(_pixel_offsets(tile, means2d.device, means2d.dtype), tile)
    out = _Composite.apply(means2d, conics, colors, opacities, binned, offsets, binned.tiles_x * binned.tiles_y)
    out = out.reshape(binned.tiles_y, binned.tiles_x, tile, tile, channels + 1)
    out = out.permute(0, 2, 1, 3, 4).reshape(binned.tiles_y * tile, binned.tiles_x * tile, channels + 1)
    out = out[:height, :width]
    return out[..., :channels], out[..., channels:]
