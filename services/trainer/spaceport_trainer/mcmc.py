"""MCMC densification (Kheradmand et al. 2024), in plain PyTorch so it runs on CPU and CUDA alike.

Every `refine_every` steps within the refine window: splats whose opacity fell below `min_opacity` are
relocated onto live ones (sampled by opacity), then new splats are added the same way, growing the
count by `growth` (faster where that pace would not reach `target_share` of the cap by the last refine, up to
`max_growth` a refine: few SfM points must not stall a short run) but never past the hard cap. Every step,
positions get noise shaped by each splat's covariance and gated to near-transparent splats (eq. 9 and 10 of
the paper, as gsplat's MCMCStrategy).
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from spaceport.params.trainer import DensifyParams
from spaceport_splats.projection import covariances
from spaceport_splats.render import Splats

MAX_RATIO = 51


def _relocation_table(n_max: int = MAX_RATIO) -> Tensor:
    """c[r, k] = sum_{i=k+1..r} C(i-1, k) (-1)^k / sqrt(k+1), so that denom = sum_k c[r, k] o^(k+1)."""
    table = torch.zeros(n_max + 1, n_max, dtype=torch.float64)
    for r in range(1, n_max + 1):
        for k in range(r):
            table[r, k] = sum(math.comb(i - 1, k) for i in range(k + 1, r + 1)) * (-1) ** k / math.sqrt(k + 1)
    return table


TABLE = _relocation_table()


def relocation(opacities: Tensor, scales: Tensor, ratios: Tensor) -> tuple[Tensor, Tensor]:
    """Opacity and scale for each of `ratios` copies so that together they render like the original."""
    o = opacities.double()  # [M]
    r = ratios.clamp(1, MAX_RATIO)
    new_o = 1.0 - (1.0 - o) ** (1.0 / r.double())
    powers = new_o[:, None] ** torch.arange(1, MAX_RATIO + 1, device=o.device, dtype=torch.float64)  # [M, K]
    denom = (TABLE.to(o.device)[r] * powers).sum(dim=1)
    new_scales = (o / denom)[:, None] * scales.double()
    return new_o.to(opacities.dtype), new_scales.to(scales.dtype)


def replace_params(
    splats: Splats,
    optimizer: torch.optim.Optimizer,
    param_fn: Callable[[str, Tensor], Tensor],
    state_fn: Callable[[Tensor], Tensor],
) -> None:
    """Swap every parameter for `param_fn(name, old)` and map Adam's moments through `state_fn`."""
    for group in optimizer.param_groups:
        name, old = group["name"], group["params"][0]
        new = param_fn(name, old.detach()).requires_grad_(True)
        state = optimizer.state.pop(old, {})
        for key in ("exp_avg", "exp_avg_sq"):
            if key in state:
                state[key] = state_fn(state[key])
        group["params"] = [new]
        if state:
            optimizer.state[new] = state
        splats[name] = new


def _with_sources_updated(name: str, p: Tensor, picks: Tensor, logit: Tensor, log_scale: Tensor) -> Tensor:
    """A copy of parameter `name` whose sampled sources carry their relocated opacity and scale."""
    p = p.clone()
    if name == "opacities":
        p[picks] = logit
    elif name == "scales":
        p[picks] = log_scale
    return p


@dataclass
class MCMCStrategy:
    """Configuration only; all mutable state lives in the splats, the optimizer and the RNG."""

    config: DensifyParams
    cap: int
    refine_stop: int

    def refines_at(self, step: int) -> bool:
        """Whether `step` relocates and grows."""
        c = self.config
        return c.refine_start < step < self.refine_stop and step % c.refine_every == 0

    @torch.no_grad()
    def step(self, splats: Splats, optimizer: torch.optim.Optimizer, step: int, means_lr: float) -> None:
        """Call after `optimizer.step()`: refine when due, then add position noise."""
        if self.refines_at(step):
            self.relocate(splats, optimizer)
            self.grow(splats, optimizer, step)
        self.add_noise(splats, means_lr * self.config.noise_lr)

    def _sample(self, splats: Splats, candidates: Tensor, n: int) -> tuple[Tensor, Tensor, Tensor]:
        """Draw `n` sources among `candidates` by opacity; their relocated opacity logits and log-scales."""
        opac = torch.sigmoid(splats["opacities"])
        picks = candidates[torch.multinomial(opac[candidates], n, replacement=True)]
        ratios = torch.bincount(picks, minlength=len(opac))[picks] + 1
        new_o, new_s = relocation(opac[picks], torch.exp(splats["scales"][picks]), ratios)
        eps = torch.finfo(new_o.dtype).eps
        new_o = new_o.clamp(self.config.min_opacity, 1.0 - eps)
        return picks, torch.logit(new_o), torch.log(new_s)

    def relocate(self, splats: Splats, optimizer: torch.optim.Optimizer) -> int:
        """Move dead splats onto live ones; returns how many moved."""
        dead = torch.sigmoid(splats["opacities"]) <= self.config.min_opacity
        dead_ids, live_ids = dead.nonzero(as_tuple=True)[0], (~dead).nonzero(as_tuple=True)[0]
        n = len(dead_ids)
        if n == 0 or len(live_ids) == 0:
            return 0
        picks, logit, log_scale = self._sample(splats, live_ids, n)

        def param_fn(name: str, p: Tensor) -> Tensor:
            p = _with_sources_updated(name, p, picks, logit, log_scale)
            p[dead_ids] = p[picks]
            return p

        def state_fn(v: Tensor) -> Tensor:
            v[picks] = 0
            v[dead_ids] = 0
            return v

        replace_params(splats, optimizer, param_fn, state_fn)
        return n

    def growth_at(self, step: int, count: int) -> float:
        """This refine's growth factor: `growth`, or faster (up to `max_growth`) where the geometric pace that
        reaches `target_share` of the cap by the last refine needs it, so few SfM points do not stall the count."""
        c = self.config
        remaining = len(range(step, self.refine_stop, c.refine_every))
        target = c.target_share * self.cap
        if remaining <= 0 or target <= count:
            return c.growth
        return min(max(c.growth, (target / count) ** (1.0 / remaining)), c.max_growth)

    def grow(self, splats: Splats, optimizer: torch.optim.Optimizer, step: int = 0) -> int:
        """Add splats (copies of live ones, by opacity) up to `growth_at` x count, capped; returns how many."""
        count = len(splats["means"])
        n = max(0, min(self.cap, int(self.growth_at(step, count) * count)) - count)
        if n == 0:
            return 0
        picks, logit, log_scale = self._sample(splats, torch.arange(count, device=splats["means"].device), n)

        def param_fn(name: str, p: Tensor) -> Tensor:
            p = _with_sources_updated(name, p, picks, logit, log_scale)
            return torch.cat([p, p[picks]])

        def state_fn(v: Tensor) -> Tensor:
            return torch.cat([v, v.new_zeros((n, *v.shape[1:]))])

        replace_params(splats, optimizer, param_fn, state_fn)
        return n

    def add_noise(self, splats: Splats, scale: float) -> None:
        """Perturb positions of near-transparent splats along their own covariance."""
        if scale <= 0:
            return
        opac = torch.sigmoid(splats["opacities"])
        gate = torch.sigmoid(100.0 * ((1.0 - opac) - 0.995))  # ~1 only for opacity < 0.005
        noise = torch.randn_like(splats["means"]) * (gate * scale)[:, None]
        cov = _covariances(splats["quats"], torch.exp(splats["scales"]))
        splats["means"].add_((cov * noise[:, None, :]).sum(dim=-1))  # [N, 3]: cov @ noise, no batched GEMV


def _covariances(quats: Tensor, scales: Tensor) -> Tensor:
    """[N, 3, 3] covariances: gsplat's one fused kernel on CUDA, our torch version elsewhere."""
    if quats.is_cuda:
        from gsplat import quat_scale_to_covar_preci

        return quat_scale_to_covar_preci(quats, scales, compute_covar=True, compute_preci=False, triu=False)[0]
    return covariances(quats, scales)
