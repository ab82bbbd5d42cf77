"""Loss terms and scores over the kept pixels of a mask only: masked pixels contribute nothing.

`composite` puts the photo's own pixels into the render wherever the mask ignores them, so no gradient reaches a
splat through an ignored pixel and the SSIM windows that straddle the mask's edge compare like with like there.
Each measure then averages over the kept pixels alone (for SSIM: the kept pixels of its valid, cropped map).
"""

import torch
from torch import Tensor

from spaceport_splats.ssim import psnr, ssim, ssim_map

SSIM_WINDOW = 11


def composite(image: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """The render where `mask` [H, W] keeps a pixel, the photo elsewhere (photo detached): [H, W, C]."""
    return torch.where(mask[..., None], image, target.detach())


def kept_count(mask: Tensor) -> Tensor:
    """How many pixels `mask` keeps, at least 1 (a 0-d float tensor)."""
    return mask.sum().clamp_min(1).to(torch.float32)


def masked_l1(image: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """Mean absolute error over the kept pixels of images [H, W, C]; a 0-d tensor."""
    diff = torch.abs(composite(image, target, mask) - target)
    return diff.sum() / (kept_count(mask) * image.shape[-1])


def masked_ssim(image: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """Mean SSIM over the kept pixels of images [H, W, C] (the valid map, cropped as `ssim` crops); 0-d."""
    x = composite(image, target, mask).permute(2, 0, 1)[None]
    y = target.permute(2, 0, 1)[None]
    per_pixel = ssim_map(x, y).mean(dim=1)[0]  # [H-10, W-10]
    border = SSIM_WINDOW // 2
    kept = mask[border : mask.shape[0] - border, border : mask.shape[1] - border]
    return (per_pixel * kept).sum() / kept_count(kept)


def masked_psnr(image: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """PSNR in dB over the kept pixels of images [H, W, C] in [0, 1]; a 0-d tensor."""
    squared = (composite(image, target, mask) - target) ** 2
    mse = squared.sum() / (kept_count(mask) * image.shape[-1])
    return -10.0 * torch.log10(mse.clamp_min(1e-12))


def psnr_over(image: Tensor, target: Tensor, mask: Tensor | None) -> Tensor:
    """PSNR over the pixels `mask` keeps (every pixel without a mask); a 0-d tensor."""
    return psnr(image, target) if mask is None else masked_psnr(image, target, mask)


def ssim_over(image: Tensor, target: Tensor, mask: Tensor | None) -> Tensor:
    """SSIM over the pixels `mask` keeps (every pixel without a mask); a 0-d tensor."""
    return ssim(image, target) if mask is None else masked_ssim(image, target, mask)
