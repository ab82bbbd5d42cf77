"""The training loss: (1 - l) L1 + l (1 - SSIM), plus MCMC's opacity and scale regularisers."""

import torch
from torch import Tensor

from spaceport.params.trainer import TrainParams
from spaceport_splats.masked import masked_l1, masked_ssim
from spaceport_splats.render import Splats
from spaceport_splats.ssim import ssim


def photometric_loss(image: Tensor, target: Tensor, ssim_lambda: float, mask: Tensor | None = None) -> Tensor:
    """L1 blended with D-SSIM for images [H, W, 3] in [0, 1], over the pixels `mask` [H, W] keeps; 0-d."""
    l1 = torch.abs(image - target).mean() if mask is None else masked_l1(image, target, mask)
    if ssim_lambda == 0:
        return l1
    similarity = ssim(image, target) if mask is None else masked_ssim(image, target, mask)
    return (1.0 - ssim_lambda) * l1 + ssim_lambda * (1.0 - similarity)


def regularisers(splats: Splats, params: TrainParams) -> Tensor:
    """Mean opacity and mean scale, weighted (they push unused splats to die and be relocated)."""
    reg = splats["means"].new_zeros(())
    if params.opacity_reg > 0:
        reg = reg + params.opacity_reg * torch.sigmoid(splats["opacities"]).mean()
    if params.scale_reg > 0:
        reg = reg + params.scale_reg * torch.exp(splats["scales"]).mean()
    return reg
