"""Growth from few SfM points on a real set: sceaux_castle through `spaceport run --preset preview`'s pipeline
with its SfM points randomly thinned to 1,100 before training (just over the trainer's 1,000-point gate).

Runs `run_embedded` (the same handlers and storage layout as `spaceport run`) with the trainer behind a wrapper
that thins the stored sparse model first. At a fixed 1.1x growth per refine such a start stalled at 1,610 splats
and 14.3 dB; paced growth must reach a useful share of the preset's cap and pass every criterion, the held-out
floor included. Measured on the 2-core dev VM: 3-4 minutes in session 8, 10-13 minutes in session 10 (CI 600 s,
alone 773 s: the splats grown from so few points are large, 3.4-4M (splat, pixel) pairs per 256 px view at 6,000
splats, and a step cost eight times the unthinned castle's), 273 s alone in session 11 once the CPU rasterizer
gathered and scattered by column (2.1x per step on this run's own state).
"""

import asyncio
from dataclasses import replace
from pathlib import Path

import numpy as np
import pycolmap
import pytest

from spaceport.events import Envelope, ModelTrained, SfmCompleted
from spaceport.params import JobOptions
from spaceport.runtime import StageSpec
from spaceport.runtime.context import StageContext
from spaceport.settings import Settings

embedded = pytest.importorskip("spaceport_app.embedded")
trainer_handler = pytest.importorskip("spaceport_trainer.handler")
from spaceport_app.embedded.summary import summarize  # noqa: E402

pytestmark = [
    pytest.mark.unit,
    pytest.mark.timeout(1800),  # 4.5 min alone on the 2-core VM; a loaded machine takes 2-3x
]

KEPT_POINTS = 1100


def thin_sparse_model(ctx: StageContext, sparse_uri: str, keep: int, work: Path) -> int:
    """Replace the stored sparse model's 3D points with `keep` of them chosen at random; returns how many it had."""
    prefix = ctx.store.key_of(sparse_uri).rstrip("/") + "/"
    local = work / "sparse"
    for key in ctx.store.list_keys(prefix):
        ctx.store.get_file(key, local / key[len(prefix) :])
    [model_dir] = {p.parent for p in local.rglob("points3D.bin")}
    model = pycolmap.Reconstruction(model_dir)
    ids = np.array(sorted(model.points3D))
    for point_id in np.random.default_rng(0).permutation(ids)[keep:]:
        model.delete_point3D(int(point_id))
    model.write(model_dir)
    for path in model_dir.iterdir():
        ctx.store.put_file(prefix + str(path.relative_to(local)), path)
    return len(ids)


def test_preview_on_castle_thinned_to_1100_points_grows_and_passes_every_criterion(
    datasets_dir: Path, tmp_path: Path
) -> None:
    """From 1,100 SfM points the preview run grows past 10% of its 60k cap (stalled at 1,610 before) and
    passes every criterion, the held-out floor included."""
    thinned: list[int] = []

    def thin_then_train(event: SfmCompleted, ctx: StageContext) -> list[Envelope]:
        thinned.append(thin_sparse_model(ctx, event.data.sparse_uri, KEPT_POINTS, tmp_path / "thin"))
        return trainer_handler.on_sfm_completed(event, ctx)

    stages: list[StageSpec] = [
        replace(s, handle=thin_then_train) if s.name == "trainer" else s for s in embedded.load_stages()
    ]
    settings = Settings(work_dir=tmp_path / "work")
    run = asyncio.run(
        embedded.run_embedded(
            datasets_dir / "sceaux_castle" / "images",
            tmp_path / "out",
            JobOptions.for_preset("preview"),
            settings,
            stages=stages,
        )
    )
    assert run.succeeded, run.outcome
    assert thinned and thinned[0] > 2 * KEPT_POINTS  # SfM made many more points than the thinned model keeps
    [trained] = [e for e in run.events if isinstance(e, ModelTrained)]
    params = trained.data.options.trainer
    assert trained.data.metrics.gaussians >= 0.1 * params.max_gaussians, trained.data.metrics
    failed = [(c.name, c.value) for c in summarize(run, settings.criteria).criteria if c.outcome != "pass"]
    assert not failed, failed
