"""Our differentiable rasterizer in plain PyTorch: the CPU backend of `render()`.

Each splat is expanded to the pixels of its bounding box (3 sigma, shrunk for faint splats, as gsplat
does); pairs whose alpha is below 1/255 are dropped at once. Splats are expanded nearest first, and a stable
sort by pixel then makes every pixel's splats one depth-ordered segment of a flat list: memory and work
grow with the splats' footprints, not with tiles. Front-to-back transmittance is a segmented exclusive
cumulative sum of log(1 - alpha) in float64. Alphas and compositing are one autograd function with a
hand-written backward that scatters straight into the splats' parameters: on the CPU, gathers and
scatters of one column at a time (`index_select`, `index_add_`) cost a fraction of row indexing and of
autograd's own graph over millions of pairs. Constants follow gsplat: pixel centres at +0.5,
alpha = min(0.999, o * exp(-sigma)), alpha < 1/255 skipped. Unlike gsplat there is no early stop once
transmittance is tiny (its effect is below 1e-4 per pixel; it would drop about a fifth of the pairs).
"""

from dataclasses import dataclass

import torch
from torch import Tensor

from spaceport_splats.projection import ALPHA_MIN

ALPHA_MAX = 0.999


@dataclass(frozen=True)
class Pairs:
    """The (splat, pixel) pairs that reach alpha >= 1/255, sorted by pixel, then by depth."""

    splat_ids: Tensor  # [M] int64
    px: Tensor  # [M] int64 column of the pixel
    py: Tensor  # [M] int64 row of the pixel
    pixel_ids: Tensor  # [M] int64, row-major
    starts: Tensor  # [P] int64: first pair of each pixel (its segment is starts[p] .. ends[p] - 1)
    ends: Tensor  # [P] int64


def _columns(t: Tensor, ids: Tensor) -> list[Tensor]:
    """`t[ids]` one column at a time ([N] or [N, C] -> C tensors [M]): much faster than row gathers on a CPU."""
    if t.dim() == 1:
        return [t.index_select(0, ids)]
    return [t[:, c].contiguous().index_select(0, ids) for c in range(t.shape[1])]


def _scatter(values: Tensor, ids: Tensor, n: int) -> Tensor:
    """Per-splat sums of per-pair `values` ([M] -> [n])."""
    return values.new_zeros(n).index_add_(0, ids, values)


@torch.no_grad()
def expand_pairs(means2d: Tensor, conics: Tensor, opacities: Tensor, width: int, height: int) -> tuple[Tensor, ...]:
    """Every splat's bounding-box pixels, splat after splat: splat ids, pixel columns, pixel rows [M] each."""
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
    first = torch.cumsum(counts, 0) - counts
    local = torch.arange(len(splat_ids), device=means2d.device) - first.index_select(0, splat_ids)
    lo_x, lo_y = _columns(lo, splat_ids)
    [span_x] = _columns(span[:, 0].contiguous(), splat_ids)
    row = torch.div(local, span_x, rounding_mode="floor")
    return splat_ids, lo_x + local - row * span_x, lo_y + row


def _alphas(params: tuple[Tensor, ...], px: Tensor, py: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Alpha, exp(-sigma) and the pixel centre's offsets dx, dy of each pair; `params` are the splats' columns
    (x, y, conic a, b, c, opacity) gathered per pair."""
    mx, my, a, b, c, o = params
    dx = px.to(mx.dtype) + 0.5 - mx
    dy = py.to(mx.dtype) + 0.5 - my
    gauss = torch.exp(-(0.5 * (a * dx * dx + c * dy * dy) + b * dx * dy))
    return (o * gauss).clamp_max(ALPHA_MAX), gauss, dx, dy


def _splat_columns(means2d: Tensor, conics: Tensor, opacities: Tensor, ids: Tensor) -> tuple[Tensor, ...]:
    return (*_columns(means2d, ids), *_columns(conics, ids), *_columns(opacities, ids))


@torch.no_grad()
def visible_pairs(means2d: Tensor, conics: Tensor, opacities: Tensor, depths: Tensor, width: int, height: int) -> Pairs:
    """The pairs to composite, in compositing order, with each pixel's segment."""
    by_depth = torch.argsort(depths)
    local, px, py = expand_pairs(
        means2d.index_select(0, by_depth),
        conics.index_select(0, by_depth),
        opacities.index_select(0, by_depth),
        width,
        height,
    )
    splat_ids = by_depth.index_select(0, local)  # pairs in depth order
    alpha = _alphas(_splat_columns(means2d, conics, opacities, splat_ids), px, py)[0]
    keep = torch.nonzero(alpha >= ALPHA_MIN, as_tuple=True)[0]
    pixel_ids = (py * width + px).index_select(0, keep)
    pixel_ids, order = torch.sort(pixel_ids, stable=True)  # by pixel, depth order kept within each pixel
    kept = keep.index_select(0, order)
    counts = torch.bincount(pixel_ids, minlength=width * height)
    ends = torch.cumsum(counts, 0)
    return Pairs(
        splat_ids=splat_ids.index_select(0, kept),
        px=px.index_select(0, kept),
        py=py.index_select(0, kept),
        pixel_ids=pixel_ids,
        starts=ends - counts,
        ends=ends,
    )


def _per_pixel(values: Tensor, at: Tensor, pixel_ids: Tensor) -> Tensor:
    """`values` read at each pixel's index `at` (clamped: empty pixels have no pair), spread to its pairs."""
    if len(values) == 0:
        return values
    return values.index_select(0, at.clamp(0, len(values) - 1)).index_select(0, pixel_ids)


class _Rasterize(torch.autograd.Function):
    """Splats and sorted pairs -> per-pixel colour and alpha [P, C+1], front to back."""

    @staticmethod
    def forward(ctx, means2d, conics, colors, opacities, pairs: Pairs):
        ids = pairs.splat_ids
        columns = _splat_columns(means2d, conics, opacities, ids)
        alpha, gauss, dx, dy = _alphas(columns, pairs.px, pairs.py)
        log_t = torch.log1p(-alpha).double()
        excl = torch.cumsum(log_t, 0) - log_t  # [M] float64
        trans = torch.exp(excl - _per_pixel(excl, pairs.starts, pairs.pixel_ids)).to(alpha.dtype)
        weights = alpha * trans
        n_pixels = len(pairs.starts)
        channels = [_scatter(weights * colour, pairs.pixel_ids, n_pixels) for colour in _columns(colors, ids)]
        out = torch.stack([*channels, _scatter(weights, pairs.pixel_ids, n_pixels)], dim=-1)
        ctx.pairs = pairs
        ctx.save_for_backward(means2d, conics, colors, alpha, gauss, dx, dy, trans)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        means2d, conics, colors, alpha, gauss, dx, dy, trans = ctx.saved_tensors
        pairs: Pairs = ctx.pairs
        ids, n = pairs.splat_ids, len(means2d)
        g_pix = _columns(grad_out, pairs.pixel_ids)  # C+1 tensors [M]
        weights = alpha * trans
        g_w = g_pix[-1].clone()
        for g, colour in zip(g_pix[:-1], _columns(colors, ids), strict=True):
            g_w += g * colour
        incl = torch.cumsum((g_w * weights).double(), 0)
        after = (_per_pixel(incl, pairs.ends - 1, pairs.pixel_ids) - incl).to(alpha.dtype)  # later pairs
        g_alpha = trans * g_w - after / (1.0 - alpha)
        g_colors = torch.stack([_scatter(weights * g, ids, n) for g in g_pix[:-1]], dim=-1)
        g_raw = torch.where(alpha < ALPHA_MAX, g_alpha, 0.0)  # alpha = min(0.999, o * gauss)
        g_sigma = -g_raw * alpha
        a, b, c = _columns(conics, ids)
        g_means = torch.stack(
            [_scatter(-g_sigma * (a * dx + b * dy), ids, n), _scatter(-g_sigma * (c * dy + b * dx), ids, n)], dim=-1
        )
        g_conics = torch.stack(
            [
                _scatter(0.5 * g_sigma * dx * dx, ids, n),
                _scatter(g_sigma * dx * dy, ids, n),
                _scatter(0.5 * g_sigma * dy * dy, ids, n),
            ],
            dim=-1,
        )
        g_opacities = _scatter(g_raw * gauss, ids, n)
        return g_means, g_conics, g_colors, g_opacities, None


def rasterize(
    means2d: Tensor, conics: Tensor, colors: Tensor, opacities: Tensor, depths: Tensor, width: int, height: int
) -> tuple[Tensor, Tensor]:
    """Composite splats front to back: image [H, W, C] and alpha [H, W, 1] (no background)."""
    channels = colors.shape[-1]
    pairs = visible_pairs(means2d.detach(), conics.detach(), opacities.detach(), depths, width, height)
    out = _Rasterize.apply(means2d, conics, colors, opacities, pairs)
    out = out.reshape(height, width, channels + 1)
    return out[..., :channels], out[..., channels:]
