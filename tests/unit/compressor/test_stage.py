"""The compressor stage on the in-memory bus and a local store: ModelTrained -> Compressed or StageFailed."""

import asyncio
import json
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from spaceport.bus import Delivery, MemoryBus
from spaceport.criteria import compression_results
from spaceport.events import (
    Compressed,
    Envelope,
    ModelTrained,
    ModelTrainedData,
    StageFailed,
    TrainMetrics,
    parse_event,
)
from spaceport.params import CompressParams, JobOptions
from spaceport.runtime import StageContext, StageSpec, Worker
from spaceport.settings import Settings
from spaceport.storage import COMPLETION_RECORD, LocalStore
from spaceport_compressor.decoder import read_sog
from spaceport_compressor.gltf import read_glb
from spaceport_compressor.handler import STAGE, make_handler
from spaceport_compressor.lod_reader import read_streamed_sog
from spaceport_compressor.report import CompressReport
from spaceport_compressor.splats import SplatCloud
from spaceport_compressor.spz import read_spz

pytestmark = pytest.mark.unit
FINAL = ("model.compressed", "stage.failed")


def model_trained(job_id: str, ply_uri: str, params: CompressParams | None = None) -> ModelTrained:
    """A trainer's event pointing at `ply_uri`."""
    metrics = TrainMetrics(steps=10, steps_requested=10, gaussians=3000, initial_gaussians=3000)
    options = JobOptions(compressor=params or CompressParams())
    return ModelTrained(
        source="trainer",
        job_id=job_id,
        data=ModelTrainedData(
            ply_uri=ply_uri,
            sparse_uri="file:///x/",
            images_uri="file:///x/",
            report_uri="file:///x/r.json",
            metrics=metrics,
            options=options,
        ),
    )


async def _run(events: list[ModelTrained], store: LocalStore, settings: Settings, spec: StageSpec) -> list[Envelope]:
    bus, seen, done = MemoryBus(), [], asyncio.Event()
    wanted = len(events)

    async def tap(delivery: Delivery) -> None:
        await delivery.ack()
        event = parse_event(delivery.body)
        seen.append(event)
        if sum(e.type in FINAL for e in seen) >= wanted:
            done.set()

    await bus.watch(("#",), tap)
    worker = Worker(spec, bus, store, settings)
    await worker.start()
    for event in events:
        await bus.publish(event)
    await asyncio.wait_for(done.wait(), 120)
    await worker.stop(grace_s=5)
    return seen


def run_stage(
    events: list[ModelTrained], store: LocalStore, settings: Settings, spec: StageSpec = STAGE
) -> list[Envelope]:
    """Publish the events to one compressor worker; return everything published."""
    return asyncio.run(_run(events, store, settings, spec))


def final(events: list[Envelope], job_id: str) -> Envelope:
    """The job's Compressed or StageFailed event."""
    return next(e for e in events if e.job_id == job_id and e.type in FINAL)


def test_trained_model_becomes_a_stored_sog(ply_sh3: Path, local_store: LocalStore, settings: Settings) -> None:
    """The stage stores WebP files, meta.json, the bundle and the report, and publishes where they are."""
    local_store.put_file("jobs/job-ok/trainer/model.ply", ply_sh3)
    event = model_trained("job-ok", local_store.uri("jobs/job-ok/trainer/model.ply"))
    seen = run_stage([event], local_store, settings)
    done = final(seen, "job-ok")
    assert isinstance(done, Compressed), done
    data = done.data
    assert data.meta_uri.endswith("jobs/job-ok/compressor/sog/meta.json") and len(data.webp_uris) == 7
    for uri in (data.meta_uri, data.sog_uri, data.report_uri, *data.webp_uris):
        assert local_store.exists(local_store.key_of(uri)), uri  # type: ignore[arg-type]
    bundle = local_store.root / local_store.key_of(data.sog_uri)  # type: ignore[arg-type]
    assert read_sog(bundle).count == data.metrics.splats == 2999  # one of the 3,000 is invisible, left out
    report = CompressReport.model_validate_json(local_store.get_bytes(local_store.key_of(data.report_uri)))
    assert report.faint_splats == data.metrics.dropped_splats == 1
    assert report.metrics == data.metrics and report.fidelity is not None
    assert data.metrics.fidelity is not None and data.metrics.fidelity.psnr_drop_db is None
    assert data.metrics.ratio > 5 and data.metrics.webp_files == 7 and data.metrics.sh_bands == 3
    assert all(r.outcome != "fail" for r in compression_results(data.metrics, True, settings.criteria))
    assert any(e.type == "stage.progress" for e in seen if e.job_id == "job-ok")
    assert local_store.exists(f"jobs/job-ok/compressor/{COMPLETION_RECORD}")


def test_bundle_can_be_switched_off(ply_sh0: Path, local_store: LocalStore, settings: Settings) -> None:
    """With write_bundle off, only the folder form is stored and `sog_uri` is None."""
    local_store.put_file("jobs/job-nobundle/trainer/model.ply", ply_sh0)
    event = model_trained(
        "job-nobundle", local_store.uri("jobs/job-nobundle/trainer/model.ply"), CompressParams(write_bundle=False)
    )
    done = final(run_stage([event], local_store, settings), "job-nobundle")
    assert isinstance(done, Compressed) and done.data.sog_uri is None and len(done.data.webp_uris) == 5
    assert not any(k.endswith(".sog") for k in local_store.list_keys("jobs/job-nobundle/compressor/"))


def test_bad_inputs_fail_with_reasons(
    ply_sh3: Path, local_store: LocalStore, settings: Settings, tmp_path: Path
) -> None:
    """Truncated, empty and missing models end in StageFailed (not retryable) with a reason; nothing stored."""
    cut = tmp_path / "cut.ply"
    cut.write_bytes(ply_sh3.read_bytes()[:5000])
    empty = tmp_path / "empty.ply"
    empty.write_bytes(
        ply_sh3.read_bytes().split(b"end_header\n")[0].replace(b"vertex 3000", b"vertex 0") + b"end_header\n"
    )
    local_store.put_file("jobs/job-cut/trainer/model.ply", cut)
    local_store.put_file("jobs/job-empty/trainer/model.ply", empty)
    events = [
        model_trained("job-cut", local_store.uri("jobs/job-cut/trainer/model.ply")),
        model_trained("job-empty", local_store.uri("jobs/job-empty/trainer/model.ply")),
        model_trained("job-gone", local_store.uri("jobs/job-gone/trainer/model.ply")),
    ]
    seen = run_stage(events, local_store, settings)
    reasons = {}
    for job in ("job-cut", "job-empty", "job-gone"):
        failed = final(seen, job)
        assert isinstance(failed, StageFailed) and not failed.data.retryable, failed
        reasons[job] = failed.data.reason
        assert not [k for k in local_store.list_keys(f"jobs/{job}/compressor/") if "sog" in k]
    assert reasons == {"job-cut": "truncated_ply", "job-empty": "no_splats", "job-gone": "bad_ply_uri"}
    assert "of 3000 splats" in final(seen, "job-cut").data.message  # type: ignore[attr-defined]


def test_redelivered_event_republishes_the_recorded_result(
    ply_sh0: Path, local_store: LocalStore, settings: Settings
) -> None:
    """The same ModelTrained twice: the second answer is the recorded Compressed, not a second run."""
    local_store.put_file("jobs/job-twice/trainer/model.ply", ply_sh0)
    event = model_trained("job-twice", local_store.uri("jobs/job-twice/trainer/model.ply"))
    first = final(run_stage([event], local_store, settings), "job-twice")
    report_key = local_store.key_of(first.data.report_uri)  # type: ignore[attr-defined]
    stamp = (local_store.root / report_key).stat().st_mtime_ns
    second = final(run_stage([event], local_store, settings), "job-twice")
    assert json.loads(second.to_json())["data"] == json.loads(first.to_json())["data"]
    assert (local_store.root / report_key).stat().st_mtime_ns == stamp


def test_heldout_scorer_gives_the_psnr_drop(ply_sh0: Path, local_store: LocalStore, settings: Settings) -> None:
    """A scorer from the factory rates original and decoded splats; their difference is `psnr_drop_db`."""
    scored: list[int] = []

    def fake_psnr(splats: SplatCloud) -> float:
        scored.append(splats.count)
        return 30.0 + 100.0 * float(splats.f_dc.mean())

    def scorers(event: ModelTrained, ctx: StageContext) -> object:
        assert event.job_id == "job-psnr" and ctx.work_dir.is_dir()
        return fake_psnr

    spec = StageSpec(name="compressor", handle=make_handler(scorers))
    local_store.put_file("jobs/job-psnr/trainer/model.ply", ply_sh0)
    done = final(
        run_stage(
            [model_trained("job-psnr", local_store.uri("jobs/job-psnr/trainer/model.ply"))], local_store, settings, spec
        ),
        "job-psnr",
    )
    assert isinstance(done, Compressed) and scored == [2000, done.data.metrics.splats] == [2000, 1999]
    report = CompressReport.model_validate_json(local_store.get_bytes(local_store.key_of(done.data.report_uri)))
    assert report.fidelity is not None and report.fidelity.psnr_original_db is not None
    drop = done.data.metrics.fidelity.psnr_drop_db  # type: ignore[union-attr]
    assert drop == pytest.approx(report.fidelity.psnr_original_db - report.fidelity.psnr_decoded_db)  # type: ignore[operator]
    names = [r.name for r in compression_results(done.data.metrics, True, settings.criteria)]
    assert "fidelity_psnr_drop" in names


def test_extra_formats_are_stored_beside_the_sog(ply_sh3: Path, local_store: LocalStore, settings: Settings) -> None:
    """compressor.formats=["spz", "glb"] stores scene.spz and scene.glb, named with sizes in the event and report."""
    local_store.put_file("jobs/job-formats/trainer/model.ply", ply_sh3)
    params = CompressParams(formats=("spz", "glb"), sh_bands=2)
    event = model_trained("job-formats", local_store.uri("jobs/job-formats/trainer/model.ply"), params)
    done = final(run_stage([event], local_store, settings), "job-formats")
    assert isinstance(done, Compressed), done
    exports = {e.format: e for e in done.data.exports}
    assert set(exports) == {"spz", "glb"}
    assert exports["spz"].uri.endswith("jobs/job-formats/compressor/scene.spz")
    header, splats = read_spz(local_store.get_bytes(local_store.key_of(exports["spz"].uri)))
    assert header.count == 3000 and header.sh_degree == 2 and splats.sh_bands == 2
    glb = local_store.get_bytes(local_store.key_of(exports["glb"].uri))
    assert len(glb) == exports["glb"].bytes and read_glb(glb).count == 3000
    report = CompressReport.model_validate_json(local_store.get_bytes(local_store.key_of(done.data.report_uri)))
    assert {f.name: f.bytes for f in report.exports} == {"scene.spz": exports["spz"].bytes, "scene.glb": len(glb)}


def test_no_extra_formats_by_default(ply_sh0: Path, local_store: LocalStore, settings: Settings) -> None:
    """Without compressor.formats the event names no exports and no .spz or .glb is stored."""
    local_store.put_file("jobs/job-plain/trainer/model.ply", ply_sh0)
    done = final(
        run_stage(
            [model_trained("job-plain", local_store.uri("jobs/job-plain/trainer/model.ply"))], local_store, settings
        ),
        "job-plain",
    )
    assert isinstance(done, Compressed) and done.data.exports == ()
    assert not [k for k in local_store.list_keys("jobs/job-plain/compressor/") if k.endswith((".spz", ".glb"))]


def test_a_format_named_twice_is_refused() -> None:
    """The parameter lists each format at most once, and only formats the compressor writes."""
    with pytest.raises(ValueError, match="twice"):
        CompressParams(formats=("spz", "spz"))
    with pytest.raises(ValueError):
        CompressParams.model_validate({"formats": ["obj"]})


def test_large_model_also_gets_a_streamed_sog(ply_sh0: Path, local_store: LocalStore, settings: Settings) -> None:
    """At lod_threshold kept splats the stage stores lod/lod-meta.json with its chunk SOGs, named in the event and
    report; the streamed SOG leaves out the same invisible splat as the SOG."""
    local_store.put_file("jobs/job-lod/trainer/model.ply", ply_sh0)
    params = CompressParams(lod_threshold=1999, lod_coarsest=500)  # scene_sh0: 2,000 splats, 1,999 visible
    event = model_trained("job-lod", local_store.uri("jobs/job-lod/trainer/model.ply"), params)
    done = final(run_stage([event], local_store, settings), "job-lod")
    assert isinstance(done, Compressed), done
    assert done.data.lod_uri is not None and done.data.lod_uri.endswith("/compressor/lod/lod-meta.json")
    meta, levels = read_streamed_sog(Path(unquote(urlparse(done.data.lod_uri).path)))
    assert levels[0].count == done.data.metrics.splats == 1999 and len(levels) >= 2
    report = CompressReport.model_validate_json(local_store.get_bytes(local_store.key_of(done.data.report_uri)))
    assert report.lod_counts == meta.counts and report.lod_files[-1].name == "lod-meta.json"
