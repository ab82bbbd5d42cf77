"""Per-photo appearance compensation: an affine colour transform per training photo, in the loss only.

Photos of one capture differ in exposure and white balance (auto-exposure, a cloud, another phone). Without
compensation the splats average those differences into view-dependent colour and floaters. Here each training
photo `v` has a transform `T_v` (3x3 matrix + bias, stored as its offset from the identity), and the loss
compares `T_v(render)` with photo `v`. The splats themselves never see `T_v`: the exported model, previews and
held-out scores use the raw render.

Gauge: with every `T_v` free, any colour change of the splats can be undone by all the transforms together, so
the model's colours would be arbitrary. After every step the mean offset over the photos is subtracted (the
mean transform is exactly the identity): the model then renders the photos' mean exposure and white balance,
which for photos jittered around the true colours are the true colours. A small L2 pull toward the identity
(`appearance_reg`) keeps a transform from absorbing scene content before the geometry has settled.

A photo is rendered only every few dozen steps (once per pass over the photos), so a transform learned by
gradient steps alone converges slowly while the splats, stepped every time, soak up the photos' differences:
on the jittered demo (preview) Adam alone recovered about half of each photo's true gains. So each time a
photo is rendered its transform first moves `appearance_refit` of the way to the closed-form least-squares
colour fit of the current render onto the photo (`colour_fit.fit_affine`), then the loss's gradient refines
it with the splats.

`auto` decides before training where it can: from `appearance_min_views` training photos on, it compares the
photos' colours along SfM's tracks (`spaceport_splats.photometry`) and turns the transforms on from the first
step when they spread at least `appearance_colour_spread`, else trains without them. Transforms learnt during
training cannot tell a photo's exposure from a model still far off: at `preview`'s check step they spread 0.49 on
fox (photos that agree within a little drift) and 0.32 on the jittered demo, so they kept transforms on fox
(raw held-out 23.8 dB against 25.6 dB without). Only where too few points are shared to compare colours does
`auto` fall back to probing: the closed-form refits run (and the mean is pinned) but the loss does not use the
transforms. At `auto_check_step` (a fifth of the run, two passes over the photos at least) it turns them on
when their spread (RMS offset from the identity) reaches `appearance_auto_spread`, else drops them: photos of
one exposure then train exactly as with `off` (plain demo, preview: transforms forced on cost 0.17-0.19 dB of
raw held-out PSNR; `auto` drops them at step 100 and scores as `off`, 26.17 dB).

Each photo's offset is a row of a sparse embedding stepped by `SparseAdam`: a photo's
transform moves only on the steps that render it (dense Adam would keep moving every photo on momentum alone).
"""

import torch
from torch import Tensor

from spaceport.params.trainer import TrainParams
from spaceport_splats.colour_fit import apply_affine, fit_affine

_IDENTITY = torch.eye(3, 4)
REFIT_RIDGE = 1e-3
"""The closed-form refit's pull toward the identity (`colour_fit.fit_affine`'s ridge)."""


def appearance_enabled(params: TrainParams, train_views: int) -> bool:
    """Whether this run starts with per-photo transforms: `affine`, or `auto` with enough training photos
    (`auto` drops them again at `auto_check_step` when the photos were found to agree on colour)."""
    if params.appearance == "auto":
        return train_views >= params.appearance_min_views
    return params.appearance == "affine"


def auto_check_step(params: TrainParams, train_views: int) -> int | None:
    """`auto`: the step after which transforms that stayed near the identity are dropped (None otherwise)."""
    if params.appearance != "auto":
        return None
    return max(2 * train_views, params.steps // 5)


class Appearance:
    """The per-photo colour transforms of one run and their optimiser."""

    def __init__(self, views: int, params: TrainParams, device: torch.device) -> None:
        zeros = torch.zeros((views, 12), device=device)  # built, not drawn: the run's random streams stay as `off`'s
        self.offsets = torch.nn.Embedding.from_pretrained(zeros, freeze=False, sparse=True)
        self.optimizer = torch.optim.SparseAdam(self.offsets.parameters(), lr=params.appearance_lr)
        self.reg = params.appearance_reg
        self.rate = params.appearance_refit
        self.identity = _IDENTITY.to(device)
        self._rows = torch.arange(views, device=device)  # sliced per photo: a new index tensor is a blocking copy
        self.active = params.appearance != "auto"  # `auto` probes until its check step

    def transform(self, index: int) -> Tensor:
        """Photo `index`'s transform [3, 4] (M | b), differentiable."""
        row = self.offsets(self._rows[index : index + 1])
        return self.identity + row.view(3, 4)

    def apply(self, image: Tensor, index: int) -> Tensor:
        """The render [H, W, 3] as photo `index` would have recorded it."""
        return apply_affine(image, self.transform(index))

    def regulariser(self, index: int) -> Tensor:
        """The pull of photo `index`'s transform toward the identity (0-d)."""
        row = self.offsets(self._rows[index : index + 1])
        return self.reg * row.pow(2).sum()

    @torch.no_grad()
    def refit(self, render: Tensor, photo: Tensor, index: int, mask: Tensor | None = None) -> None:
        """Move photo `index`'s transform `refit` of the way to the closed-form colour fit of `render` onto it
        (over the pixels `mask` keeps)."""
        if self.rate == 0:
            return
        fit = fit_affine(render.detach(), photo, REFIT_RIDGE, mask) - self.identity
        row = self.offsets.weight[index]
        row += self.rate * (fit.reshape(12) - row)

    def step(self) -> None:
        """Step the transforms of the photos that had gradients (when active), then pin their mean to the identity."""
        if self.active:
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
        with torch.no_grad():
            weight = self.offsets.weight
            weight -= weight.mean(dim=0, keepdim=True)

    def state_dict(self) -> dict[str, object]:
        """What a checkpoint keeps to resume the transforms."""
        return {
            "offsets": self.offsets.weight.detach().cpu(),
            "optimizer": self.optimizer.state_dict(),
            "active": self.active,
        }

    def load_state_dict(self, state: dict[str, object]) -> None:
        """Restore `state_dict()`'s output."""
        offsets = state["offsets"]
        if not isinstance(offsets, Tensor) or offsets.shape != self.offsets.weight.shape:
            raise ValueError("checkpointed appearance transforms do not match this run's training photos")
        with torch.no_grad():
            self.offsets.weight.copy_(offsets)
        optimizer = state["optimizer"]
        if not isinstance(optimizer, dict):
            raise ValueError("checkpointed appearance optimiser state is malformed")
        self.optimizer.load_state_dict(optimizer)
        self.active = bool(state.get("active", True))

    def spread(self) -> float:
        """RMS offset from the identity over the photos: how much the photos' colours were found to differ."""
        return float(self.offsets.weight.detach().pow(2).sum(dim=1).mean().sqrt())
