"""Our `.sog` (bundle and meta.json folder) in the PlayCanvas engine, in headless Chromium under SwiftShader."""

import numpy as np
import pytest

from spaceport.params.compressor import CompressParams
from spaceport_compressor.compression import compress
from spaceport_compressor.ply import write_ply
from spaceport_compressor.sink import FolderSink, TeeSink, ZipSink
from spaceport_compressor.splats import SH_C0, SplatCloud
from tests.browser.tools import Camera, RenderSession, render_assets

pytestmark = pytest.mark.browser


def coloured_sphere(n: int = 6000, seed: int = 3) -> SplatCloud:
    """Opaque splats on a unit sphere, coloured by direction, with one band of small SH."""
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(n, 3))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    colour = 0.15 + 0.7 * (v + 1) / 2
    return SplatCloud(
        means=v.astype(np.float32),
        quats=rng.normal(size=(n, 4)).astype(np.float32),
        log_scales=np.log(rng.uniform(0.03, 0.06, (n, 3))).astype(np.float32),
        f_dc=((colour - 0.5) / SH_C0).astype(np.float32),
        opacity=np.full(n, 4.0, np.float32),
        sh_rest=rng.laplace(0, 0.03, (n, 9)).astype(np.float32),
    )


def with_faint_splats(n: int, byte: int, seed: int = 4) -> SplatCloud:
    """`coloured_sphere()` with colours and log-scales on coarse grids (so a codebook holds each value exactly)
    and `n` splats in the front corners of its box (outside it, in view), each the sphere's brightest colour and
    largest scale, with opacity byte `byte`."""
    sphere = coloured_sphere()
    f_dc = np.round(sphere.f_dc * 16) / 16
    log_scales = np.round(sphere.log_scales * 8) / 8
    rng = np.random.default_rng(seed)
    alpha = max(byte, 0.38) / 255  # byte 0: alpha 0.38/255, just under the rounding edge
    faint = SplatCloud(
        means=(rng.uniform(0.6, 0.95, (n, 3)) * np.column_stack([rng.choice([-1, 1], (n, 2)), np.ones(n)])).astype(
            np.float32
        ),
        quats=rng.normal(size=(n, 4)).astype(np.float32),
        log_scales=np.full((n, 3), log_scales.max(), np.float32),
        f_dc=np.tile(f_dc[np.argmax(f_dc.sum(1))], (n, 1)).astype(np.float32),
        opacity=np.full(n, np.log(alpha / (1 - alpha)), np.float32),
        sh_rest=np.zeros((n, 0), np.float32),
    )
    parts = [(sphere.means, faint.means), (sphere.quats, faint.quats), (log_scales, faint.log_scales)]
    parts += [(f_dc, faint.f_dc), (sphere.opacity, faint.opacity), (sphere.sh_rest[:, :0], faint.sh_rest)]
    return SplatCloud(*(np.concatenate(pair).astype(np.float32) for pair in parts))


TRIMMED = CompressParams(
    position_tolerance=0.2, rotation_tolerance=0.2, scale_levels=64, color_levels=64, weighted_palette=True
)
"""Every precision trim of the encoder on (coarse codes, fewer levels, weighted palette)."""


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> RenderSession:
    """The source PLY, our bundle and our meta.json folder, each rendered from the same camera."""
    work = tmp_path_factory.mktemp("sog-render")
    ply = work / "sphere.ply"
    write_ply(ply, coloured_sphere())
    compress(ply, TeeSink(FolderSink(work / "sog"), ZipSink(work / "scene.sog")))
    compress(ply, ZipSink(work / "trimmed.sog"), TRIMMED)
    for name, byte in (("faint", 0), ("dim", 16)):
        write_ply(work / f"{name}.ply", with_faint_splats(3000, byte))
    compress(work / "faint.ply", ZipSink(work / "faint_left_out.sog"))
    compress(work / "faint.ply", ZipSink(work / "faint_kept.sog"), CompressParams(min_opacity=0.0))
    compress(work / "dim.ply", ZipSink(work / "dim.sog"))
    assets = {
        "ply": ply,
        "bundle": work / "scene.sog",
        "folder": work / "sog" / "meta.json",
        "trimmed": work / "trimmed.sog",
        **{name: work / f"{name}.sog" for name in ("faint_left_out", "faint_kept", "dim")},
    }
    return render_assets(assets, Camera(position=(0.0, 0.6, 3.2)), work)


def test_engine_loads_our_sog_without_errors(session: RenderSession) -> None:
    """Every asset loads and renders frames; the browser logs no error and no request fails."""
    for name, frame in session.frames.items():
        assert frame.status["state"] == "ready", (name, frame.status)
        assert int(frame.status["frames"]) >= 3, (name, frame.status)  # type: ignore[call-overload]
    assert session.console_errors == []
    assert session.failed_requests == []


def test_rendered_frame_shows_the_coloured_sphere(session: RenderSession) -> None:
    """The bundle's frame has a large, colourful object in the middle over a black background."""
    pixels = session.frames["bundle"].pixels.astype(np.int32)
    lit = pixels.sum(axis=2) > 60
    assert 0.15 < lit.mean() < 0.9
    h, w = lit.shape
    assert lit[h // 2 - 10 : h // 2 + 10, w // 2 - 10 : w // 2 + 10].mean() > 0.9
    assert not lit[:5, :].any() and not lit[-5:, :].any()
    spread = pixels[lit].max(axis=0) - pixels[lit].min(axis=0)
    assert (spread > 100).all(), spread


def test_sog_renders_like_the_source_ply(session: RenderSession) -> None:
    """Bundle and folder give the same frame, within a few levels of the original PLY's frame."""
    bundle = session.frames["bundle"].pixels.astype(np.int32)
    folder = session.frames["folder"].pixels.astype(np.int32)
    source = session.frames["ply"].pixels.astype(np.int32)
    assert np.abs(bundle - folder).max() <= 1
    assert np.abs(bundle - source).mean() < 3.0


def test_trimmed_sog_renders_like_the_source_ply(session: RenderSession) -> None:
    """A SOG with every precision trim on renders within a few levels of the original PLY's frame."""
    trimmed = session.frames["trimmed"].pixels.astype(np.int32)
    source = session.frames["ply"].pixels.astype(np.int32)
    assert np.abs(trimmed - source).mean() < 3.0


def test_splats_left_out_as_invisible_draw_nothing(session: RenderSession) -> None:
    """The default SOG leaves out 3,000 splats whose opacity byte is 0; the engine draws the SOG that keeps them
    (same codebooks) to the same pixels, while the same splats at byte 16 do show."""
    left_out = session.frames["faint_left_out"].pixels.astype(np.int32)
    kept = session.frames["faint_kept"].pixels.astype(np.int32)
    dim = session.frames["dim"].pixels.astype(np.int32)
    assert np.array_equal(left_out, kept)
    assert (np.abs(dim - left_out).sum(axis=2) > 10).mean() > 0.05  # 20 % of the pixels when measured
