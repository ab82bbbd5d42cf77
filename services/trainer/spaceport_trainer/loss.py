"""The training loss: (1 - l) L1 + l (1 - SSIM), plus MCMC's opacity and scale regularisers."""

import torch
from torch import Tensor

from spaceport.params.trainer import TrainParams
from spaceport_splats.render import Splats
from spaceport_splats.ssim import ssim


def photometric_loss(image: Tensor, target: Tensor, ssim_lambda: float) -> Tensor:
    """L1 blended with D-SSIM for images [H, W, 3] in [0, 1]; a 0-d tensor."""
    l1 = torch.abs(image - target).mean()
    if ssim_lambda == 0:
        return l1
    return (1.0 - ssim_lambda) * l1 + ssim_lambda * (1.0 - ssim(image, target))


def regularisers(splats: Splats, params: TrainParams) -> Tensor:
    """Mean opacity and mean scale, weighted (they push unused splats to die and be relocated)."""
    reg = splats["means"].new_zeros(())
    if params.opacity_reg > 0:
        reg = reg + params.opacity_reg * torch.sigmoid(splats["opacities"]).mean()
    if params.scale_reg > 0:
        reg = reg + params.scale_reg * torch.exp(splats["scales"]).mean()
    return reg
