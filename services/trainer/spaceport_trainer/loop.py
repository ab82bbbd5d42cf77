"""One training run's mutable state and a single optimisation step."""

from dataclasses import dataclass, field

import structlog
import torch
from torch import Tensor

from spaceport.params.trainer import TrainParams
from spaceport_splats.cameras import Camera
from spaceport_splats.dataset import SceneData
from spaceport_splats.masked import psnr_over
from spaceport_splats.render import Splats, render
from spaceport_splats.sh import active_sh_degree
from spaceport_trainer.appearance import Appearance, appearance_enabled, auto_check_step
from spaceport_trainer.checkpoint import Checkpoint, restore_rng
from spaceport_trainer.coarse import coarse_camera, coarse_photo, factor_at
from spaceport_trainer.loss import photometric_loss, regularisers
from spaceport_trainer.mcmc import MCMCStrategy
from spaceport_trainer.report import EvaluationRecord
from spaceport_trainer.splats import (
    base_lrs,
    init_splats,
    make_optimizer,
    means_lr,
    set_means_lr,
)

log = structlog.get_logger(__name__)


@dataclass
class Run:
    """Everything that changes while training (the checkpoint holds the part that must survive)."""

    params: TrainParams
    device: torch.device
    splats: Splats
    optimizer: torch.optim.Optimizer
    strategy: MCMCStrategy
    extent: float
    step: int = 0  # steps completed
    prior_seconds: float = 0.0  # training time spent before a resume
    resumed_from: int | None = None
    renderer: str = ""
    appearance: Appearance | None = None  # per-training-photo colour transforms (loss only)
    evaluations: list[EvaluationRecord] = field(default_factory=list)
    loss_log: list[tuple[int, float]] = field(default_factory=list)
    _orders: dict[int, Tensor] = field(default_factory=dict)
    _coarse: dict[tuple[int, int], Camera] = field(default_factory=dict)  # (view, factor) -> coarse camera

    def view_at(self, step: int, count: int) -> int:
        """Training views are visited in a fresh seeded permutation each epoch (resumable: no state)."""
        epoch = step // count
        if epoch not in self._orders:
            self._orders = {
                epoch: torch.randperm(
                    count, generator=torch.Generator().manual_seed(self.params.seed * 1_000_003 + epoch)
                )
            }
        return int(self._orders[epoch][step % count])

    def coarse_camera(self, index: int, camera: Camera, factor: int) -> Camera:
        """Training view `index`'s camera at 1/`factor` resolution (made once per view)."""
        key = (index, factor)
        if key not in self._coarse:
            self._coarse[key] = coarse_camera(camera, factor)
        return self._coarse[key]


def _renderer_name(data: SceneData, device: torch.device) -> str:
    distorted = any(v.camera.lens.distorted for v in data.train)
    if device.type == "cuda":
        return "gsplat-3dgut" if distorted else "gsplat"
    return "torch-tiles-linearised-lens" if distorted else "torch-tiles"


def start_run(
    data: SceneData,
    params: TrainParams,
    device: torch.device,
    resume: Checkpoint | None,
    colours_agree: bool | None = None,
) -> Run:
    """A fresh run from the SfM points, or the state of `resume`. `colours_agree` settles `auto` appearance before
    training (measured: True -> no transforms, False -> transforms on); None leaves it to the probe."""
    extent = data.transform.scene_extent
    lrs = base_lrs(params, extent)
    if resume is not None:
        splats = resume.splats
        optimizer = make_optimizer(splats, lrs)
        optimizer.load_state_dict(resume.optimizer)
        restore_rng(resume.rng, device)
    else:
        splats = init_splats(data.points, data.colors, params, torch.Generator().manual_seed(params.seed))
        optimizer = make_optimizer(splats, lrs)
    strategy = MCMCStrategy(params.densify, params.max_gaussians, params.refine_stop)
    step = resume.step if resume else 0
    set_means_lr(optimizer, means_lr(params, extent, step))
    enabled = appearance_enabled(params, len(data.train)) and not (params.appearance == "auto" and colours_agree)
    appearance = Appearance(len(data.train), params, device) if enabled else None
    if appearance is not None and params.appearance == "auto" and colours_agree is False:
        appearance.active = True  # measured before training: no probe, no check step
    if appearance is not None and resume is not None:
        if resume.appearance is None:
            appearance = None  # `auto` had dropped them
        else:
            appearance.load_state_dict(resume.appearance)
    return Run(
        params=params,
        device=device,
        splats=splats,
        optimizer=optimizer,
        strategy=strategy,
        extent=extent,
        step=step,
        prior_seconds=resume.elapsed if resume else 0.0,
        resumed_from=resume.step if resume else None,
        renderer=_renderer_name(data, device),
        appearance=appearance,
    )


def train_step(run: Run, data: SceneData, log_now: bool) -> tuple[Tensor, Tensor | None]:
    """Render one training view, step the optimiser and the strategy; (loss, PSNR if `log_now`)."""
    p = run.params
    index = run.view_at(run.step, len(data.train))
    view = data.train[index]
    photo = view.photo()
    data.train[run.view_at(run.step + 1, len(data.train))].prefetch()  # the next step's photo, while this one runs
    camera, target, mask = view.camera, photo.target(), photo.mask  # target [H, W, 3]
    factor = factor_at(p, run.step)
    if factor > 1:
        camera = run.coarse_camera(index, camera, factor)
        target, mask = coarse_photo(target, mask, factor)
    out = render(run.splats, camera, active_sh_degree(p, run.step))
    if run.appearance is not None:
        run.appearance.refit(out.image, target, index, mask)
    active = run.appearance is not None and run.appearance.active
    image = run.appearance.apply(out.image, index) if run.appearance is not None and active else out.image
    loss = photometric_loss(image, target, p.ssim_lambda, mask) + regularisers(run.splats, p)
    if run.appearance is not None and active:
        loss = loss + run.appearance.regulariser(index)
    loss.backward()
    run.optimizer.step()
    run.optimizer.zero_grad(set_to_none=True)
    if run.appearance is not None:
        run.appearance.step()
        _settle_appearance(run, len(data.train))
    run.strategy.step(run.splats, run.optimizer, run.step, means_lr(p, run.extent, run.step))
    set_means_lr(run.optimizer, means_lr(p, run.extent, run.step + 1))
    quality = psnr_over(image.detach().clamp(0.0, 1.0), target, mask) if log_now else None
    return loss.detach(), quality


def _settle_appearance(run: Run, train_views: int) -> None:
    """`auto`: at the check step, turn the probed transforms on, or drop them when the photos agree on colour."""
    assert run.appearance is not None
    if run.appearance.active or run.step + 1 != auto_check_step(run.params, train_views):
        return
    spread = run.appearance.spread()
    keep = spread >= run.params.appearance_auto_spread
    log.info("appearance_checked", step=run.step + 1, spread=round(spread, 4), kept=keep)
    if keep:
        run.appearance.active = True
    else:
        run.appearance = None
