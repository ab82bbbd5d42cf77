"""How the demo scene is photographed: which cameras, how many views, along which path.

A `Capture` is pure configuration. `CAPTURES` names the variants the regression suites and the quality
benchmark run, each standing for a kind of photo set users bring: portrait and landscape, strong and weak
lens distortion, an off-centre principal point (refined by SfM's `default` profile, which needs at least
15 photos), several cameras in one set (of different sizes, or two phones of one resolution told apart only by
their EXIF), a forward-facing arc instead of a full orbit, an object that moves between photos (with the
masks that hide it), photos whose exposure and white balance differ, a phone video of a walk around the
scene (motion blur, hand shake, exposure and white-balance drift), and a walk around a wide courtyard, for
hundreds of photos (`courtyard`; its video: `spaceport_app.demo.video`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from spaceport_app.demo.camera import Intrinsics, Orbit
from spaceport_app.demo.mover import Mover
from spaceport_app.demo.video_take import VideoTake
from spaceport_app.demo.walk import COURTYARD, Walk
from spaceport_app.demo.world import WorldLayout


@dataclass(frozen=True)
class CameraSpec:
    """One camera of a capture: image size, field of view across the longer side, distortion, principal point."""

    width: int = 640
    height: int = 480
    hfov_deg: float = 66.0
    k: float = -0.04
    principal_offset: tuple[float, float] = (0.0, 0.0)  # shares of width and height from the image centre

    def intrinsics(self) -> Intrinsics:
        """The SIMPLE_RADIAL camera this spec describes."""
        return Intrinsics.phone(self.width, self.height, self.hfov_deg, self.k, self.principal_offset)


@dataclass(frozen=True)
class ColourJitter:
    """Per-photo exposure and white balance, as auto-exposure and auto white balance give them: each photo's
    pixel values are scaled per channel by `2**e * exp(w_c)`, e uniform in +-`exposure_stops`, w_c uniform in
    +-`white_balance`, then the gains are divided by their mean over the photos (per channel), so the photos'
    mean colours are the scene's true colours. Values clip at 255, as a camera's do."""

    exposure_stops: float = 0.8
    white_balance: float = 0.2

    def gains(self, views: int, rng: np.random.Generator) -> np.ndarray:
        """Per-photo channel gains [views, 3], mean 1 over the photos in every channel."""
        exposure = rng.uniform(-self.exposure_stops, self.exposure_stops, (views, 1))
        balance = rng.uniform(-self.white_balance, self.white_balance, (views, 3))
        gains = np.exp2(exposure) * np.exp(balance)
        return gains / gains.mean(axis=0, keepdims=True)


@dataclass(frozen=True)
class Capture:
    """The cameras (views take them in turn), the number of views, the path they are taken along, and, when
    set, how each photo's exposure and white balance stray from the true colours (`jitter`)."""

    cameras: tuple[CameraSpec, ...] = (CameraSpec(),)
    views: int = 24
    orbit: Orbit = field(default_factory=Orbit)
    mover: Mover | None = None  # an object that moves between photos, hidden by masks written with them
    jitter: ColourJitter | None = None
    video: VideoTake | None = None  # filmed as one video of a walk instead of photos (`views` is then unused)
    walk: Walk | None = None  # when set, the views are taken along this walk instead of the orbit
    layout: WorldLayout | None = None  # the world's layout (None: the demo's stage)

    def camera_of(self, view: int) -> CameraSpec:
        """The camera that takes view number `view`."""
        return self.cameras[view % len(self.cameras)]

    def scaled(self, factor: float) -> Capture:
        """The same capture with every camera's image size scaled by `factor` (field of view unchanged)."""
        cameras = tuple(
            replace(c, width=round(c.width * factor), height=round(c.height * factor)) for c in self.cameras
        )
        return replace(self, cameras=cameras)


CAPTURES: dict[str, Capture] = {
    "landscape": Capture(),
    "portrait": Capture(cameras=(CameraSpec(width=480, height=640),)),
    "strong-distortion": Capture(cameras=(CameraSpec(hfov_deg=56.0, k=-0.16),)),
    "off-centre": Capture(cameras=(CameraSpec(principal_offset=(0.012, -0.009)),)),
    "two-cameras": Capture(
        cameras=(CameraSpec(), CameraSpec(width=480, height=640, hfov_deg=58.0, k=-0.09)),
    ),
    "two-phones": Capture(cameras=(CameraSpec(), CameraSpec(hfov_deg=54.0, k=-0.10))),
    "forward-arc": Capture(cameras=(CameraSpec(k=-0.08),), views=16, orbit=Orbit(arc_deg=110.0)),
    "moving-object": Capture(mover=Mover()),
    "exposure-jitter": Capture(jitter=ColourJitter()),
    "phone-video": Capture(video=VideoTake()),
    "courtyard": Capture(cameras=(CameraSpec(width=480, height=360),), views=200, walk=Walk(), layout=COURTYARD),
}
"""Named captures of the demo world; `landscape` is what `spaceport demo` renders."""
