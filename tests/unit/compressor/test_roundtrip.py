"""Encode synthetic splats, decode them with our reader, and check every attribute within stated bounds."""

import numpy as np
import pytest

from spaceport.params.compressor import CompressParams
from spaceport_compressor.decoder import decode_files
from spaceport_compressor.encoder import EncodedSog, encode_sog
from spaceport_compressor.fidelity import measure, rotation_error_deg
from spaceport_compressor.quantize import log_transform
from spaceport_compressor.shn import visibility_weights
from spaceport_compressor.splats import SH_C0, SplatCloud

pytestmark = pytest.mark.unit


def _pairs(scene: SplatCloud, encoded: EncodedSog) -> tuple[SplatCloud, SplatCloud]:
    """(original in texture order, decoded)."""
    return scene.take(encoded.order), decode_files(encoded.files)


def _nearest_entry_error(values: np.ndarray, book: tuple[float, ...]) -> np.ndarray:  # type: ignore[type-arg]
    entries = np.asarray(book, dtype=np.float64)
    return np.abs(values.astype(np.float64).ravel()[:, None] - entries[None, :]).min(axis=1)


def test_positions_within_half_a_step_in_log_space(scene_sh3: SplatCloud, encoded_sh3: EncodedSog) -> None:
    """Positions are rounded (not truncated) onto the 16-bit log-space grid: error <= half a step per axis."""
    original, decoded = _pairs(scene_sh3, encoded_sh3)
    step = (np.array(encoded_sh3.meta.means.maxs) - np.array(encoded_sh3.meta.means.mins)) / 65535
    error = np.abs(log_transform(decoded.means) - log_transform(original.means))
    assert (error <= step / 2 * (1 + 1e-3)).all()  # half a step, up to float32 rounding of the output
    assert measure(original, decoded).position_rel.max < 1e-4


def test_rotations_within_a_fraction_of_a_degree(scene_sh3: SplatCloud, encoded_sh3: EncodedSog) -> None:
    """Smallest-three rotations come back within 0.7 degrees (mean under 0.4), half the reference's error."""
    original, decoded = _pairs(scene_sh3, encoded_sh3)
    angle = rotation_error_deg(original.quats, decoded.quats)
    assert angle.max() < 0.7
    assert angle.mean() < 0.4
    assert np.allclose(np.linalg.norm(decoded.quats, axis=1), 1.0, atol=1e-5)


def test_scales_and_colours_take_the_nearest_codebook_entry(scene_sh3: SplatCloud, encoded_sh3: EncodedSog) -> None:
    """Each log-scale and colour decodes to its nearest codebook value; mean errors stay small."""
    original, decoded = _pairs(scene_sh3, encoded_sh3)
    for got, want, book in [
        (decoded.log_scales, original.log_scales, encoded_sh3.meta.scales.codebook),
        (decoded.f_dc, original.f_dc, encoded_sh3.meta.sh0.codebook),
    ]:
        error = np.abs(got.astype(np.float64) - want).ravel()
        assert (error <= _nearest_entry_error(want, book) + 1e-6).all()
    assert np.abs(decoded.log_scales - original.log_scales).mean() < 0.01
    assert (np.abs(decoded.f_dc - original.f_dc) * SH_C0 * 255).mean() < 0.5


def test_opacity_within_half_a_level(scene_sh3: SplatCloud, encoded_sh3: EncodedSog) -> None:
    """Opacity is rounded to 1/255 in sigmoid space: error <= half a level."""
    original, decoded = _pairs(scene_sh3, encoded_sh3)
    alpha = 1 / (1 + np.exp(-original.opacity.astype(np.float64)))
    back = 1 / (1 + np.exp(-decoded.opacity.astype(np.float64)))
    assert np.abs(back - alpha).max() <= 0.5 / 255 + 1e-6


def test_sh_palette_error_is_bounded(scene_sh3: SplatCloud, encoded_sh3_unweighted: EncodedSog) -> None:
    """Three SH bands survive through the unweighted palette: relative RMS error under 0.3 on every band."""
    original, decoded = _pairs(scene_sh3, encoded_sh3_unweighted)
    detail = measure(original, decoded)
    assert decoded.sh_bands == 3 and encoded_sh3_unweighted.meta.shN is not None
    assert detail.sh_rel_rmse is not None and detail.sh_rel_rmse < 0.3
    assert len(detail.sh_rel_rmse_bands) == 3 and max(detail.sh_rel_rmse_bands) < 0.3


def _visible_sh_error(scene: SplatCloud, encoded: EncodedSog) -> float:
    """Relative RMS SH error weighted by what each splat can colour (opacity x area)."""
    original, decoded = _pairs(scene, encoded)
    weight = visibility_weights(original.opacity, original.log_scales)[:, None]
    error = ((decoded.sh_rest.astype(np.float64) - original.sh_rest) ** 2 * weight).sum()
    return float(np.sqrt(error / (original.sh_rest.astype(np.float64) ** 2 * weight).sum()))


def test_default_palette_spends_its_error_where_it_shows(
    scene_sh3: SplatCloud, encoded_sh3: EncodedSog, encoded_sh3_unweighted: EncodedSog
) -> None:
    """The default (weighted) palette's visibility-weighted SH error is under 0.3 and below the unweighted one's."""
    weighted_error = _visible_sh_error(scene_sh3, encoded_sh3)
    assert weighted_error < 0.3
    assert weighted_error < _visible_sh_error(scene_sh3, encoded_sh3_unweighted)


def test_scene_without_sh_round_trips_without_palette(scene_sh0: SplatCloud) -> None:
    """A model without SH gives five WebP files, no shN entry, and decodes with zero SH coefficients."""
    encoded = encode_sog(scene_sh0, CompressParams())
    names = [name for name, _ in encoded.files]
    assert names == ["means_l.webp", "means_u.webp", "scales.webp", "quats.webp", "sh0.webp", "meta.json"]
    original, decoded = _pairs(scene_sh0, encoded)
    assert encoded.meta.shN is None and decoded.sh_rest.shape == (original.count, 0)
    assert measure(original, decoded).rotation_deg.max < 0.7


@pytest.mark.parametrize("bands", [0, 1, 2])
def test_sh_bands_parameter_drops_higher_bands(scene_sh3: SplatCloud, bands: int) -> None:
    """`sh_bands` keeps only that many bands: the palette width follows, the rest is dropped."""
    encoded = encode_sog(scene_sh3, CompressParams(sh_bands=bands, palette_size=256))
    decoded = decode_files(encoded.files)
    assert decoded.sh_bands == bands
    if bands:
        assert encoded.meta.shN is not None and encoded.meta.shN.bands == bands
        kept = scene_sh3.with_sh_bands(bands).take(encoded.order)
        assert measure(kept, decoded).sh_rel_rmse < 0.6  # type: ignore[operator]


def test_plas_ordering_keeps_every_splat(scene_sh3: SplatCloud) -> None:
    """PLAS reorders the texels, but the order is a permutation and the errors stay as tight."""
    encoded = encode_sog(scene_sh3, CompressParams(ordering="plas", palette_size=512, min_opacity=0.0))
    assert np.array_equal(np.sort(encoded.order), np.arange(scene_sh3.count))
    detail = measure(*_pairs(scene_sh3, encoded))
    assert detail.rotation_deg.max < 0.7 and detail.opacity.max <= 0.5 / 255 + 1e-6
