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
    assets = {
        "ply": ply,
        "bundle": work / "scene.sog",
        "folder": work / "sog" / "meta.json",
        "trimmed": work / "trimmed.sog",
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
