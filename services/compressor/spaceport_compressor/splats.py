"""A 3DGS model in memory: the attributes of N Gaussian splats, as a trained `.ply` stores them."""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]

SH_C0 = 0.28209479177387814
"""Zeroth-band SH constant: display colour = 0.5 + SH_C0 * f_dc."""

SH_COEFFS_PER_CHANNEL = {0: 0, 1: 3, 2: 8, 3: 15}
"""Higher-order SH coefficients per colour channel for 0..3 bands."""


class InvalidSplats(ValueError):
    """Input that cannot become a SOG; `reason` is a short snake_case code for StageFailed."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


def bands_for_coeffs(coeffs_per_channel: int) -> int:
    """SH bands for a number of higher-order coefficients per channel, or `InvalidSplats`."""
    for bands, coeffs in SH_COEFFS_PER_CHANNEL.items():
        if coeffs == coeffs_per_channel:
            return bands
    raise InvalidSplats(
        f"{3 * coeffs_per_channel} f_rest properties do not form an SH layout (need 0, 9, 24 or 45)",
        "sh_layout",
    )


@dataclass(frozen=True)
class SplatCloud:
    """Per-splat attributes in PLY conventions. Rows are splats."""

    means: F32  # [N, 3] positions
    quats: F32  # [N, 4] rotation (w, x, y, z), not necessarily normalised
    log_scales: F32  # [N, 3] natural log of the axis scales
    f_dc: F32  # [N, 3] zeroth-band SH per channel
    opacity: F32  # [N] opacity logit
    sh_rest: F32  # [N, 3 * C] higher-order SH, channel-major (R 0..C-1, G 0..C-1, B 0..C-1)

    def __post_init__(self) -> None:
        n = self.means.shape[0]
        shapes = {
            "means": (self.means.shape, (n, 3)),
            "quats": (self.quats.shape, (n, 4)),
            "log_scales": (self.log_scales.shape, (n, 3)),
            "f_dc": (self.f_dc.shape, (n, 3)),
            "opacity": (self.opacity.shape, (n,)),
        }
        for name, (got, want) in shapes.items():
            if got != want:
                raise ValueError(f"{name} has shape {got}, expected {want}")
        if self.sh_rest.ndim != 2 or self.sh_rest.shape[0] != n or self.sh_rest.shape[1] % 3:
            raise ValueError(f"sh_rest has shape {self.sh_rest.shape}, expected ({n}, 3*C)")
        bands_for_coeffs(self.sh_rest.shape[1] // 3)

    @property
    def count(self) -> int:
        """Number of splats."""
        return int(self.means.shape[0])

    @property
    def sh_bands(self) -> int:
        """Higher-order SH bands present (0..3)."""
        return bands_for_coeffs(self.sh_rest.shape[1] // 3)

    def take(self, index: I64 | npt.NDArray[np.bool_]) -> "SplatCloud":
        """The splats selected by an index array or a boolean mask, in that order."""
        return SplatCloud(
            means=self.means[index],
            quats=self.quats[index],
            log_scales=self.log_scales[index],
            f_dc=self.f_dc[index],
            opacity=self.opacity[index],
            sh_rest=self.sh_rest[index],
        )

    def with_sh_bands(self, bands: int) -> "SplatCloud":
        """The same splats keeping at most `bands` higher-order SH bands."""
        keep = SH_COEFFS_PER_CHANNEL[min(bands, self.sh_bands)]
        have = self.sh_rest.shape[1] // 3
        if keep == have:
            return self
        per_channel = self.sh_rest.reshape(self.count, 3, have)[:, :, :keep]
        return SplatCloud(
            self.means,
            self.quats,
            self.log_scales,
            self.f_dc,
            self.opacity,
            np.ascontiguousarray(per_channel.reshape(self.count, 3 * keep)),
        )

    def finite_rows(self) -> npt.NDArray[np.bool_]:
        """Rows whose every attribute is finite and whose rotation has a non-zero norm."""
        ok = np.isfinite(self.means).all(1) & np.isfinite(self.quats).all(1)
        ok &= np.isfinite(self.log_scales).all(1) & np.isfinite(self.f_dc).all(1)
        ok &= np.isfinite(self.opacity) & np.isfinite(self.sh_rest).all(1)
        ok &= (self.quats.astype(np.float64) ** 2).sum(1) > 1e-20
        return ok
