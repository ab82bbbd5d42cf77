"""The HTTP API: job list and detail, criteria, token, signed artifact links, metrics, nothing secret."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from spaceport.bus import MemoryBus
from spaceport.events import Compressed
from spaceport_monitor.api import create_app
from spaceport_monitor.settings import MonitorSettings
from tests.unit.monitor.conftest import Harness, recorded
from tests.unit.monitor.sequences import success

pytestmark = pytest.mark.unit
TOKEN = "t0ken-for-the-api"
WEBHOOK = "https://hooks.example/services/T000/B000/very-secret-part"
DB_PASSWORD = "db-pa55word"


@asynccontextmanager
async def client_for(
    h: Harness, token: str | None = None, clock: Callable[[], float] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    config = MonitorSettings(
        api_token=SecretStr(token) if token else None,
        webhook_url=SecretStr(WEBHOOK),
        database_url=SecretStr(f"postgresql://monitor:{DB_PASSWORD}@db/monitor"),
    )
    transport = httpx.ASGITransport(app=create_app(h.api_context(config, clock)))
    async with httpx.AsyncClient(transport=transport, base_url="http://monitor") as client:
        yield client


def stored_job(h: Harness) -> None:
    """A finished job whose artifacts are in the harness's store, with two preview renders."""
    for key, data in (
        ("jobs/job-ok/compressor/scene.sog", b"SOG!"),
        ("jobs/job-ok/trainer/previews/v0.png", b"png"),
        ("jobs/job-ok/trainer/previews/v1.png", b"png"),
        ("jobs/job-ok/sfm/report.json", b"{}"),
    ):
        h.store.put_bytes(key, data)
    h.feed(success("job-ok", uri=h.store.uri))


async def test_job_list_shows_each_job_with_its_criteria(harness: Harness) -> None:
    """`/jobs` lists every job, newest activity first, with pass/fail per criterion; `outcome=` filters."""
    harness.feed([*recorded("success"), *recorded("rejected")])
    async with client_for(harness) as client:
        listing = (await client.get("/jobs")).json()
        only_rejected = (await client.get("/jobs", params={"outcome": "rejected"})).json()
    assert {j["job_id"]: j["outcome"] for j in listing["jobs"]} == {
        "job-ok": "succeeded",
        "job-rejected": "rejected",
    }
    rejected = next(j for j in listing["jobs"] if j["job_id"] == "job-rejected")
    assert rejected["failed_criteria"] == ["sfm_points", "sfm_registered", "sfm_gate"]
    assert {c["name"]: c["outcome"] for c in rejected["criteria"]}["sfm_reprojection_error"] == "pass"
    assert [j["job_id"] for j in only_rejected["jobs"]] == ["job-rejected"]


async def test_job_detail_has_timeline_metrics_and_signed_links(harness: Harness) -> None:
    """`/jobs/{id}` gives the stage timeline, metrics, previews and the splat through monitor links only."""
    stored_job(harness)
    async with client_for(harness) as client:
        job = (await client.get("/jobs/job-ok")).json()
        splat = await client.get(job["splat"]["url"])
        preview = await client.get(job["previews"][0]["url"])
        missing = await client.get("/jobs/no-such-job")
    assert [(s["stage"], s["duration_s"]) for s in job["stages"]] == [
        ("sfm", 120.0),
        ("trainer", 1380.0),
        ("compressor", 100.0),
    ]
    assert job["sfm"]["points3d"] == 12_000 and job["training"]["psnr"] == 27.5
    assert [p["name"] for p in job["previews"]] == ["v0.png", "v1.png"]
    assert job["splat"]["url"].startswith("/artifacts/") and job["splat"]["url"].endswith("/scene.sog")
    assert splat.status_code == 200 and splat.content == b"SOG!"
    assert preview.headers["content-type"] == "image/png"
    assert str(harness.store.root) not in str(job) and "file://" not in str(job)
    assert missing.status_code == 404


async def test_artifact_links_cannot_be_forged(harness: Harness) -> None:
    """A tampered, expired, cross-job or escaping artifact link is refused."""
    stored_job(harness)
    harness.store.put_bytes("jobs/other/compressor/scene.sog", b"other")
    now = [1_000_000.0]
    async with client_for(harness, clock=lambda: now[0]) as client:
        url = (await client.get("/jobs/job-ok")).json()["splat"]["url"]
        grant = url.split("/")[2]
        expires, sig = grant.split(".")
        tampered = await client.get(url.replace(sig, "0" * len(sig)))
        other_job = await client.get(f"/artifacts/{grant}/jobs/other/compressor/scene.sog")
        escaping = await client.get(f"/artifacts/{grant}/jobs/job-ok/../other/compressor/scene.sog")
        longer = await client.get(url.replace(expires, str(int(expires) + 3600)))
        now[0] = int(expires) + 1
        expired = await client.get(url)
    assert [r.status_code for r in (tampered, other_job, longer, expired)] == [403, 403, 403, 403]
    assert escaping.status_code in (403, 404)


async def test_a_grant_covers_the_files_beside_meta_json(harness: Harness) -> None:
    """A link to meta.json also serves its sibling WebP files by relative URL (how the viewer loads them)."""
    stored_job(harness)
    harness.store.put_bytes("jobs/job-ok/compressor/meta.json", b'{"version": 2}')
    harness.store.put_bytes("jobs/job-ok/compressor/means_l.webp", b"RIFF....WEBP")
    async with client_for(harness) as client:
        job = (await client.get("/jobs/job-ok")).json()
        meta_url = next(a["url"] for a in job["artifacts"] if a["name"] == "meta")
        sibling = await client.get(meta_url.rsplit("/", 1)[0] + "/means_l.webp")
    assert sibling.status_code == 200 and sibling.headers["content-type"] == "image/webp"
    assert sibling.content == b"RIFF....WEBP"


async def test_a_token_protects_everything_but_health_and_the_shell(harness: Harness) -> None:
    """With a token set, data routes answer 401 without it and 200 with it; /healthz and / stay open."""
    harness.feed(recorded("success"))
    async with client_for(harness, token=TOKEN) as client:
        bare = [
            (await client.get(p)).status_code
            for p in ("/jobs", "/jobs/job-ok", "/criteria", "/alerts", "/metrics", "/openapi.json")
        ]
        wrong = (await client.get("/jobs", headers={"Authorization": "Bearer nope"})).status_code
        good = (await client.get("/jobs", headers={"Authorization": f"Bearer {TOKEN}"})).status_code
        open_ = [(await client.get(p)).status_code for p in ("/healthz", "/", "/dashboard/jobs/job-ok")]
    assert bare == [401] * 6 and wrong == 401 and good == 200
    assert open_ == [200, 200, 200]


async def test_the_api_is_read_only(harness: Harness) -> None:
    """Writing verbs are not allowed on any route."""
    async with client_for(harness) as client:
        codes = {
            (await client.request(m, p)).status_code
            for m in ("POST", "PUT", "DELETE", "PATCH")
            for p in ("/jobs", "/jobs/job-ok", "/criteria")
        }
    assert codes == {405}


async def test_no_secret_is_ever_shown(harness: Harness) -> None:
    """Token, webhook URL and database password appear in no response."""
    stored_job(harness)
    harness.feed(recorded("trainer_failure"))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with client_for(harness, token=TOKEN) as client:
        bodies = [
            (await client.get(p, headers=auth)).text
            for p in (
                "/jobs",
                "/jobs/job-ok",
                "/jobs/job-failed",
                "/criteria",
                "/alerts",
                "/metrics",
                "/healthz",
                "/",
                "/openapi.json",
            )
        ]
    text = "\n".join(bodies)
    assert "min_points" in text and "job-failed" in text
    for secret in (TOKEN, WEBHOOK, "very-secret-part", DB_PASSWORD):
        assert secret not in text


async def test_metrics_parse_and_carry_the_series(harness: Harness) -> None:
    """`/metrics` is Prometheus text: jobs by outcome, stage-duration histograms, alerts, queue depths."""
    harness.feed([*recorded("success"), *recorded("rejected"), *recorded("trainer_failure")])
    await harness.monitor.sweep(MemoryBus(), harness.settings.criteria)
    async with client_for(harness) as client:
        response = await client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }
    assert samples[("spaceport_jobs", (("outcome", "succeeded"),))] == 1
    assert samples[("spaceport_jobs", (("outcome", "rejected"),))] == 1
    assert samples[("spaceport_jobs", (("outcome", "failed"),))] == 1
    assert samples[("spaceport_stage_duration_seconds_count", (("stage", "sfm"),))] == 3
    assert samples[("spaceport_stage_duration_seconds_count", (("stage", "pipeline"),))] == 1
    assert samples[("spaceport_stage_duration_seconds_bucket", (("le", "120.0"), ("stage", "sfm")))] == 3
    assert samples[("spaceport_alerts_total", (("criterion", "stage_failed"), ("severity", "critical")))] == 1
    assert samples[("spaceport_alerts_total", (("criterion", "sfm_gate"), ("severity", "warning")))] == 1
    assert samples[("spaceport_queue_depth", (("queue", "spaceport.trainer.dlq"),))] == 0


async def test_criteria_lists_definitions_and_thresholds(harness: Harness) -> None:
    """`/criteria` gives every criterion with its stage and severity, and the thresholds in force."""
    async with client_for(harness) as client:
        body = (await client.get("/criteria")).json()
    names = {c["name"]: c for c in body["criteria"]}
    assert names["sfm_points"]["source"] == "shared" and names["model_size"]["severity"] == "critical"
    assert "failure_rate" in names and body["thresholds"]["min_points"] == 1000
    assert body["thresholds"]["stage_budget_s"]["trainer"] == 3600.0


async def test_a_streamed_sog_is_the_splat_the_dashboard_shows(harness: Harness) -> None:
    """A job whose compressor wrote lod-meta.json links the dashboard's 3D view to it, and its chunks load by the
    same grant (the engine resolves them relative to lod-meta.json)."""
    harness.store.put_bytes("jobs/job-ok/compressor/scene.sog", b"SOG!")
    harness.store.put_bytes("jobs/job-ok/compressor/lod/lod-meta.json", b'{"version": 1}')
    harness.store.put_bytes("jobs/job-ok/compressor/lod/0_0/meta.json", b"{}")
    events = success("job-ok", uri=harness.store.uri)
    last = events[-1]
    assert isinstance(last, Compressed)
    lod_uri = harness.store.uri("jobs/job-ok/compressor/lod/lod-meta.json")
    events[-1] = last.model_copy(update={"data": last.data.model_copy(update={"lod_uri": lod_uri})})
    harness.feed(events)
    async with client_for(harness) as client:
        url = (await client.get("/jobs/job-ok")).json()["splat"]["url"]
        manifest = await client.get(url)
        chunk = await client.get(url.replace("lod-meta.json", "0_0/meta.json"))
    assert url.startswith("/artifacts/") and url.endswith("/compressor/lod/lod-meta.json")
    assert manifest.status_code == 200 and manifest.content == b'{"version": 1}'
    assert chunk.status_code == 200
