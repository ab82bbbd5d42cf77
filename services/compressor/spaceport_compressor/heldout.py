"""The held-out PSNR scorer of a job: `spaceport_splats`'s renderer on the trainer's held-out views.

Optional by design. The compressor's image installs neither torch nor pycolmap (the `splats` extra): then,
and whenever the inputs cannot be fetched or read, no scorer is built and the criteria report says
`fidelity_psnr_drop: not_measured` with the reason; the compression goes on. Only the sparse model and the
held-out photos are downloaded; the cost is the trainer's final held-out evaluation twice (original and
decoded splats).
"""

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import structlog

from spaceport.events import ModelTrained
from spaceport.runtime import StageContext
from spaceport.storage import ObjectStore, download_dir, safe_relpath
from spaceport_compressor.fidelity import HeldoutScorer, NotMeasured, Scoring
from spaceport_compressor.splats import SplatCloud

if TYPE_CHECKING:
    from spaceport_splats.consistency import ViewCamera
    from spaceport_splats.export import SplatArrays
    from spaceport_splats.scoring import HeldoutScorer as TrainerScorer

log = structlog.get_logger(__name__)

HELDOUT_FOLDER = "heldout"


def to_arrays(cloud: SplatCloud) -> "SplatArrays":
    """The compressor's splats as the trainer's arrays (same frame; SH channel-major -> [N, C, 3])."""
    from spaceport_splats.export import SplatArrays

    n, coeffs = cloud.count, cloud.sh_rest.shape[1] // 3
    f32 = np.float32
    return SplatArrays(
        means=cloud.means.astype(f32),
        sh0=cloud.f_dc.astype(f32).reshape(n, 1, 3),
        shN=np.ascontiguousarray(cloud.sh_rest.astype(f32).reshape(n, 3, coeffs).transpose(0, 2, 1)),
        opacities=cloud.opacity.astype(f32),
        scales=cloud.log_scales.astype(f32),
        quats=cloud.quats.astype(f32),
    )


@dataclass(frozen=True)
class CloudScorer:
    """The trainer's held-out scorer, taking `SplatCloud`s."""

    scorer: "TrainerScorer"

    def __call__(self, splats: SplatCloud) -> float:
        return self.scorer(to_arrays(splats))


def _prefix(key: str) -> str:
    return key if key.endswith("/") else key + "/"


def _fetch_mask(store: ObjectStore, images_prefix: str, name: str, images: Path) -> None:
    """The photo's mask where it has one (the scores then count its kept pixels only, as the trainer's do)."""
    from spaceport_splats.masks import MASKS_FOLDER, mask_names

    for candidate in mask_names(name):
        key = images_prefix + safe_relpath(f"{MASKS_FOLDER}/{candidate}")
        if store.exists(key):
            store.get_file(key, images / MASKS_FOLDER / candidate)
            return


def fetch_heldout(event: ModelTrained, ctx: StageContext, folder: Path) -> tuple[Path, Path]:
    """Download the sparse model, then only the photos the trainer held out: (sparse folder, images folder)."""
    from spaceport_splats.scoring import heldout_names

    store, sparse, images = ctx.store, folder / "sparse", folder / "images"
    download_dir(store, _prefix(store.key_of(event.data.sparse_uri)), sparse)
    images_prefix = _prefix(store.key_of(event.data.images_uri))
    for name in heldout_names(sparse, event.data.options.trainer):
        store.get_file(images_prefix + safe_relpath(name), images / name)
        _fetch_mask(store, images_prefix, name, images)
    return sparse, images


def trained_cameras(event: ModelTrained, ctx: StageContext) -> "list[ViewCamera] | None":
    """The held-out cameras the trainer recorded in its report (None for a report that has none)."""
    from spaceport_splats.consistency import recorded_cameras

    return recorded_cameras(ctx.store.get_bytes(ctx.store.key_of(event.data.report_uri)))


def build_scorer(event: ModelTrained, ctx: StageContext) -> HeldoutScorer:
    """Fetch the held-out inputs into the work folder and load them as the trainer does, with its cameras."""
    from spaceport_splats.scoring import heldout_scorer

    folder = ctx.work_dir / HELDOUT_FOLDER
    sparse, images = fetch_heldout(event, ctx, folder)
    params = event.data.options.trainer
    scorer = heldout_scorer(
        sparse,
        images,
        params,
        folder / "work",
        cpu_threads=ctx.settings.threads or 1,
        undistorted=event.data.metrics.undistorted,
        trained=trained_cameras(event, ctx),
    )
    return CloudScorer(scorer)


def heldout_scoring(event: ModelTrained, ctx: StageContext) -> Scoring:
    """The stage's `ScorerFactory`: the held-out scorer of `spaceport_splats`, or why there is none here."""
    try:
        import spaceport_splats.scoring  # noqa: F401  (torch and pycolmap: the `splats` extra)
    except ImportError as exc:
        reason = f"this deployment cannot render splats ({exc}); install the compressor with the `splats` extra"
        log.warning("heldout_scorer_unavailable", reason=reason)
        return NotMeasured(reason)
    try:
        return build_scorer(event, ctx)
    except Exception as exc:  # optional figure: the compression must not fail because scoring could not start
        reason = f"the held-out views could not be loaded: {type(exc).__name__}: {exc}"
        log.warning("heldout_scorer_failed", reason=reason)
        return NotMeasured(reason)
