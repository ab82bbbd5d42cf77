"""Round-trip error of a decoded SOG against the splats it was made from, per attribute."""

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from spaceport.events.metrics import Fidelity
from spaceport_compressor.splats import SH_C0, SH_COEFFS_PER_CHANNEL, SplatCloud

F64 = npt.NDArray[np.float64]


class HeldoutScorer(Protocol):
    """Renders splats from the trainer's held-out cameras; returns the mean PSNR (dB) against the photos."""

    def __call__(self, splats: SplatCloud) -> float: ...


@dataclass(frozen=True)
class NotMeasured:
    """Why there is no held-out scorer for this job (said in the criteria report, never silently absent)."""

    reason: str


Scoring = HeldoutScorer | NotMeasured


class ErrorStats(BaseModel):
    """Mean, 99th percentile and maximum of one absolute error."""

    model_config = ConfigDict(frozen=True)

    mean: float
    p99: float
    max: float


class FidelityDetail(BaseModel):
    """Every error figure of one round trip; `summary()` gives the event's compact form."""

    model_config = ConfigDict(frozen=True)

    position_rel: ErrorStats
    """|delta| per axis over the scene's extent on that axis."""
    rotation_deg: ErrorStats
    log_scale: ErrorStats
    color_255: ErrorStats
    """|delta (0.5 + C0 * f_dc)| in 1/255 units."""
    opacity: ErrorStats
    """|delta sigmoid(opacity)|."""
    sh_rel_rmse: float | None = None
    sh_rel_rmse_bands: tuple[float, ...] = ()
    psnr_original_db: float | None = None
    psnr_decoded_db: float | None = None
    psnr_unmeasured: str | None = None

    def summary(self) -> Fidelity:
        """The figures carried in `Compressed`."""
        drop = None
        if self.psnr_original_db is not None and self.psnr_decoded_db is not None:
            drop = self.psnr_original_db - self.psnr_decoded_db
        return Fidelity(
            position_rel_mean=self.position_rel.mean,
            position_rel_max=self.position_rel.max,
            rotation_deg_mean=self.rotation_deg.mean,
            rotation_deg_max=self.rotation_deg.max,
            log_scale_mean=self.log_scale.mean,
            log_scale_max=self.log_scale.max,
            color_mean=self.color_255.mean,
            color_max=self.color_255.max,
            opacity_mean=self.opacity.mean,
            opacity_max=self.opacity.max,
            sh_rel_rmse=self.sh_rel_rmse,
            psnr_drop_db=drop,
            psnr_drop_unmeasured=self.psnr_unmeasured,
        )


def _stats(errors: npt.ArrayLike) -> ErrorStats:
    e = np.asarray(errors, dtype=np.float64).ravel()
    if e.size == 0:
        return ErrorStats(mean=0.0, p99=0.0, max=0.0)
    return ErrorStats(mean=float(e.mean()), p99=float(np.percentile(e, 99)), max=float(e.max()))


def rotation_error_deg(a: npt.ArrayLike, b: npt.ArrayLike) -> F64:
    """Angle (degrees) of the rotation between quaternions a and b [N, 4], sign-agnostic."""
    qa = np.asarray(a, dtype=np.float64)
    qb = np.asarray(b, dtype=np.float64)
    qa = qa / np.linalg.norm(qa, axis=1, keepdims=True)
    qb = qb / np.linalg.norm(qb, axis=1, keepdims=True)
    qb = qb * np.where((qa * qb).sum(1) < 0, -1.0, 1.0)[:, None]
    chord = np.linalg.norm(qa - qb, axis=1)
    return np.degrees(4.0 * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0)))


def _sigmoid(x: npt.ArrayLike) -> F64:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def _sh_errors(original: SplatCloud, decoded: SplatCloud) -> tuple[float | None, tuple[float, ...]]:
    """Relative RMS error of the kept SH bands, overall and per band (float32 differences, float64 sums)."""
    bands = min(original.sh_bands, decoded.sh_bands)
    if bands == 0:
        return None, ()
    have, got = original.sh_rest.shape[1] // 3, decoded.sh_rest.shape[1] // 3
    a = original.sh_rest.reshape(-1, 3, have)
    b = decoded.sh_rest.reshape(-1, 3, got)
    error, energy, lo = [], [], 0
    for band in range(1, bands + 1):
        hi = SH_COEFFS_PER_CHANNEL[band]
        error.append(float(np.square(a[:, :, lo:hi] - b[:, :, lo:hi]).sum(dtype=np.float64)))
        energy.append(float(np.square(a[:, :, lo:hi]).sum(dtype=np.float64)))
        lo = hi
    per_band = tuple(_relative(e, s) for e, s in zip(error, energy, strict=True))
    return _relative(sum(error), sum(energy)), per_band


def _relative(error: float, energy: float) -> float:
    """sqrt(error / energy), or the absolute RMS-like figure sqrt(error) when the original is all zero."""
    return float(np.sqrt(error / energy)) if energy > 0 else float(np.sqrt(error))


def measure(
    original: SplatCloud, decoded: SplatCloud, scorer: Scoring | None = None, whole: SplatCloud | None = None
) -> FidelityDetail:
    """Compare `decoded` with `original` row by row (same order, same count); the held-out PSNR of `whole` (the
    model before any splat was left out; default `original`) and of `decoded` through `scorer`, or why it is
    not measured."""
    if original.count != decoded.count:
        raise ValueError(f"cannot compare {original.count} splats with {decoded.count}")
    extent = np.ptp(original.means.astype(np.float64), axis=0)
    extent = np.where(extent > 0, extent, 1.0)
    position = np.abs(decoded.means.astype(np.float64) - original.means) / extent
    colour = np.abs(decoded.f_dc.astype(np.float64) - original.f_dc) * SH_C0 * 255.0
    sh, sh_bands = _sh_errors(original, decoded)
    psnr_original = psnr_decoded = None
    unmeasured = scorer.reason if isinstance(scorer, NotMeasured) else None
    if scorer is not None and not isinstance(scorer, NotMeasured):
        psnr_original, psnr_decoded = scorer(original if whole is None else whole), scorer(decoded)
    return FidelityDetail(
        position_rel=_stats(position),
        rotation_deg=_stats(rotation_error_deg(original.quats, decoded.quats)),
        log_scale=_stats(np.abs(decoded.log_scales.astype(np.float64) - original.log_scales)),
        color_255=_stats(colour),
        opacity=_stats(np.abs(_sigmoid(decoded.opacity) - _sigmoid(original.opacity))),
        sh_rel_rmse=sh,
        sh_rel_rmse_bands=sh_bands,
        psnr_original_db=psnr_original,
        psnr_decoded_db=psnr_decoded,
        psnr_unmeasured=unmeasured,
    )
