"""Precision trims: coarser codes stay within each splat's tolerance, fewer bytes, and left-out splats."""

from pathlib import Path

import numpy as np
import pytest

from spaceport.params.compressor import INVISIBLE_OPACITY, CompressParams
from spaceport_compressor.compression import compress
from spaceport_compressor.decoder import decode_files
from spaceport_compressor.encoder import encode_sog
from spaceport_compressor.fidelity import rotation_error_deg
from spaceport_compressor.layout import decode_webp
from spaceport_compressor.ply import read_ply
from spaceport_compressor.precision import middle_scale
from spaceport_compressor.quantize import encode_opacity
from spaceport_compressor.sink import ZipSink
from spaceport_compressor.splats import InvalidSplats, SplatCloud

pytestmark = pytest.mark.unit


def _texture(encoded_files: list[tuple[str, bytes]], name: str) -> int:
    return next(len(data) for file, data in encoded_files if file == name)


def _larger(scene: SplatCloud, factor: float) -> SplatCloud:
    """The scene with every splat `factor` times larger (log-scales shifted), so tolerances bite."""
    return SplatCloud(
        scene.means,
        scene.quats,
        scene.log_scales + np.float32(np.log(factor)),
        scene.f_dc,
        scene.opacity,
        scene.sh_rest,
    )


def test_default_trims_only_the_invisible_splats(scene_sh0: SplatCloud) -> None:
    """Zero tolerances and 256 levels change nothing: the defaults give the visible splats' untrimmed files."""
    neutral = CompressParams(min_opacity=0.0, position_tolerance=0.0, rotation_tolerance=0.0)
    visible = scene_sh0.take(np.flatnonzero(encode_opacity(scene_sh0.opacity) > 0))
    assert visible.count < scene_sh0.count  # the seeded scene holds a splat drawn with alpha 0
    assert encode_sog(visible, neutral).files == encode_sog(visible, CompressParams()).files
    assert encode_sog(scene_sh0, CompressParams()).files == encode_sog(visible, neutral).files


def test_invisible_opacity_leaves_out_only_the_splats_drawn_with_alpha_zero(scene_sh0: SplatCloud) -> None:
    """At INVISIBLE_OPACITY exactly the splats whose opacity byte would be 0 are gone; the rest keep their bytes."""
    opacity = scene_sh0.opacity.copy()
    opacity[::7] = -9.0  # alpha 1.2e-4: byte 0
    scene = SplatCloud(
        scene_sh0.means, scene_sh0.quats, scene_sh0.log_scales, scene_sh0.f_dc, opacity, scene_sh0.sh_rest
    )
    encoded = encode_sog(scene, CompressParams())
    assert CompressParams().min_opacity == INVISIBLE_OPACITY
    visible = np.flatnonzero(encode_opacity(opacity) > 0)
    assert np.array_equal(np.sort(encoded.order), visible)
    assert encoded.files == encode_sog(scene.take(visible), CompressParams(min_opacity=0.0)).files
    everything = encode_sog(scene, CompressParams(min_opacity=0.0))
    alpha_bytes = decode_webp(dict(everything.files)["sh0.webp"]).reshape(-1, 4)[: scene.count, 3]
    left_out = ~np.isin(everything.order, encoded.order)  # [N] in texel order
    assert left_out.sum() >= scene.count // 7 and not alpha_bytes[left_out].any() and alpha_bytes[~left_out].all()


def test_invisible_boundary_is_exact_for_float32_logits() -> None:
    """Around the threshold every float32 logit is kept exactly when its opacity byte is at least 1 (then 1)."""
    centre = np.float32(np.log(INVISIBLE_OPACITY / (1.0 - INVISIBLE_OPACITY)))
    steps = np.arange(-64, 65, dtype=np.int32)
    logits = (centre.view(np.int32) - steps).view(np.float32)  # negative floats: a larger int is more negative
    assert np.all(np.diff(logits) > 0)
    n = logits.size
    cloud = SplatCloud(
        np.column_stack([np.arange(n), np.zeros(n), np.zeros(n)]).astype(np.float32),
        np.tile(np.float32([1, 0, 0, 0]), (n, 1)),
        np.full((n, 3), -4.0, np.float32),
        np.zeros((n, 3), np.float32),
        logits,
        np.zeros((n, 0), np.float32),
    )
    kept = np.zeros(n, bool)
    kept[encode_sog(cloud, CompressParams()).order] = True
    byte = encode_opacity(logits)
    assert 0 < kept.sum() < n
    assert np.array_equal(kept, byte > 0)
    first = np.argmax(kept)
    assert byte[first] == 1 and byte[first - 1] == 0


def test_position_error_stays_within_the_tolerance(scene_sh0: SplatCloud) -> None:
    """Each axis moves at most tolerance x middle scale (plus the exact code's half step) and means_l shrinks."""
    scene = _larger(scene_sh0, 20.0)
    exact = encode_sog(scene, CompressParams())
    coarse = encode_sog(scene, CompressParams(position_tolerance=0.2))
    original = scene.take(coarse.order)
    exact_error = np.abs(decode_files(exact.files).means - scene.take(exact.order).means)
    error = np.abs(decode_files(coarse.files).means.astype(np.float64) - original.means)
    allowed = 0.2 * middle_scale(original.log_scales)[:, None] + exact_error.max(0)
    assert (error <= allowed * (1 + 1e-5)).all()
    assert error.mean() > 2 * exact_error.mean()  # the codes did get coarser
    assert _texture(coarse.files, "means_l.webp") < 0.9 * _texture(exact.files, "means_l.webp")


def test_rotation_error_stays_within_the_tolerance(scene_sh0: SplatCloud) -> None:
    """Angle x axis spread stays within tolerance x middle scale (plus one exact step) and quats shrink."""
    exact = encode_sog(scene_sh0, CompressParams())
    coarse = encode_sog(scene_sh0, CompressParams(rotation_tolerance=0.2))
    original = scene_sh0.take(coarse.order)
    angle = np.radians(rotation_error_deg(original.quats, decode_files(coarse.files).quats))
    scales = np.exp(original.log_scales.astype(np.float64))
    spread = scales.max(1) - scales.min(1)
    exact_angle = np.radians(rotation_error_deg(scene_sh0.take(exact.order).quats, decode_files(exact.files).quats))
    assert (angle * spread <= 0.2 * middle_scale(original.log_scales) + exact_angle.max() * spread + 1e-9).all()
    assert angle.mean() > 2 * exact_angle.mean()
    assert _texture(coarse.files, "quats.webp") < 0.9 * _texture(exact.files, "quats.webp")


def test_min_opacity_leaves_out_exactly_the_faint_splats(scene_sh3: SplatCloud) -> None:
    """Splats under the threshold are gone, the rest decode in texel order, the meta counts the kept ones."""
    encoded = encode_sog(scene_sh3, CompressParams(min_opacity=0.2, palette_size=256))
    alpha = 1.0 / (1.0 + np.exp(-scene_sh3.opacity.astype(np.float64)))
    assert 0 < encoded.meta.count < scene_sh3.count
    assert np.array_equal(np.sort(encoded.order), np.flatnonzero(alpha >= 0.2))
    decoded = decode_files(encoded.files)
    assert decoded.count == encoded.meta.count
    assert np.abs(decoded.means - scene_sh3.take(encoded.order).means).max() < 1e-2


def test_min_opacity_above_every_splat_is_refused(scene_sh0: SplatCloud) -> None:
    """Leaving out every splat is an input error with a reason, not an empty SOG."""
    with pytest.raises(InvalidSplats) as caught:
        encode_sog(scene_sh0, CompressParams(min_opacity=0.9999999))
    assert caught.value.reason == "no_splats"


def test_fewer_codebook_levels_use_fewer_distinct_values(scene_sh0: SplatCloud) -> None:
    """`scale_levels` and `color_levels` bound the distinct values the decoded model holds."""
    encoded = encode_sog(scene_sh0, CompressParams(scale_levels=16, color_levels=32))
    decoded = decode_files(encoded.files)
    assert np.unique(decoded.log_scales).size <= 16
    assert np.unique(decoded.f_dc).size <= 32
    assert len(encoded.files[2][1]) > 0


def test_held_out_drop_counts_the_left_out_splats(ply_sh3: Path, tmp_path: Path) -> None:
    """With splats left out, the scorer sees the whole model as the original and the kept ones as decoded."""
    seen: list[int] = []

    def scorer(splats: SplatCloud) -> float:
        seen.append(splats.count)
        return float(splats.count)

    params = CompressParams(min_opacity=0.2, palette_size=256)
    report = compress(ply_sh3, ZipSink(tmp_path / "out.sog"), params, scorer=scorer)
    whole = read_ply(ply_sh3).splats.count
    assert report.fidelity is not None
    assert report.fidelity.psnr_original_db == whole
    assert report.fidelity.psnr_decoded_db == report.metrics.splats < whole
    assert seen == [whole, report.metrics.splats]
    assert report.metrics.dropped_splats == whole - report.metrics.splats
