"""The read-only HTTP API and dashboard: jobs, criteria, alerts, metrics, artifacts, health."""

import hmac
import mimetypes
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.background import BackgroundTask

from spaceport import engine
from spaceport.criteria import Thresholds
from spaceport.events import check_job_id
from spaceport.jobs.record import JobOutcome
from spaceport.storage import LocalStore, ObjectNotFound, ObjectStore
from spaceport_monitor.assets import engine_path
from spaceport_monitor.catalog import CriteriaInfo, criteria_info
from spaceport_monitor.links import LinkError, LinkSigner
from spaceport_monitor.metrics import CONTENT_TYPE, MonitorMetrics
from spaceport_monitor.repository import Repository
from spaceport_monitor.service import Clock
from spaceport_monitor.settings import MonitorSettings
from spaceport_monitor.views import AlertView, JobDetail, JobList, alert_view, detail, summarize

STATIC_DIR = Path(__file__).parent / "static"
INLINE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".json", ".sog", ".ply", ".txt", ".log"})
CSP = (
    "default-src 'self'; script-src 'self'; worker-src 'self' blob:; img-src 'self' blob: data:; "
    "connect-src 'self' blob: data:; style-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
mimetypes.add_type("image/webp", ".webp")
mimetypes.add_type("text/javascript", ".mjs")


class Health(BaseModel):
    """`GET /healthz`."""

    status: Literal["ok", "degraded"]
    database: Literal["ok", "error"]
    worker: str


@dataclass
class ApiContext:
    """What the routes read from."""

    repo: Repository
    metrics: MonitorMetrics
    store: ObjectStore
    thresholds: Thresholds
    config: MonitorSettings
    signer: LinkSigner
    clock: Clock
    worker_status: Callable[[], str] = lambda: "unknown"


def _auth(ctx: ApiContext) -> Callable[[Request], None]:
    token = ctx.config.api_token.get_secret_value().encode() if ctx.config.api_token else None

    def check(request: Request) -> None:
        if token is None:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token):
            raise HTTPException(401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"})

    return check


def _remove(path: Path) -> None:
    """Delete a served temporary file and its folder."""
    path.unlink(missing_ok=True)
    path.parent.rmdir()


def create_app(ctx: ApiContext) -> FastAPI:
    """The monitor's ASGI app. Every route is GET: nothing here changes state."""
    app = FastAPI(title="Spaceport monitor", docs_url=None, redoc_url=None, openapi_url=None)
    authed = [Depends(_auth(ctx))]

    @app.get("/openapi.json", dependencies=authed, include_in_schema=False)
    def openapi() -> dict[str, object]:
        return app.openapi()

    _security_headers(app)

    @app.head("/healthz", include_in_schema=False)
    @app.get("/healthz")
    def healthz(response: Response) -> Health:
        try:
            ctx.repo.ping()
            database: Literal["ok", "error"] = "ok"
        except Exception:
            database = "error"
        if database != "ok":
            response.status_code = 503
        return Health(status="ok" if database == "ok" else "degraded", database=database, worker=ctx.worker_status())

    @app.get("/jobs", dependencies=authed)
    def jobs(
        outcome: JobOutcome | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> JobList:
        now = ctx.clock()
        rows = [summarize(r, now, ctx.thresholds) for r in ctx.repo.jobs(outcome, limit, offset)]
        return JobList(jobs=rows, count=len(rows))

    @app.get("/jobs/{job_id}", dependencies=authed)
    def job(job_id: str) -> JobDetail:
        try:
            check_job_id(job_id)
        except ValueError as exc:
            raise HTTPException(404, "no such job") from exc
        record = ctx.repo.get(job_id)
        if record is None:
            raise HTTPException(404, "no such job")
        return detail(record, ctx.clock(), ctx.thresholds, ctx.store, ctx.signer, ctx.repo.alerts(job_id))

    @app.get("/criteria", dependencies=authed)
    def criteria() -> CriteriaInfo:
        return criteria_info(ctx.thresholds, ctx.config)

    @app.get("/alerts", dependencies=authed)
    def alerts(limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[AlertView]:
        return [alert_view(s) for s in ctx.repo.alerts(limit=limit)]

    @app.get("/metrics", dependencies=authed)
    def metrics() -> Response:
        return Response(ctx.metrics.render(), media_type=CONTENT_TYPE)

    @app.get("/artifacts/{grant}/{key:path}")
    def artifact(grant: str, key: str) -> FileResponse:
        try:
            safe = ctx.signer.check(grant, key)
        except LinkError as exc:
            raise HTTPException(403, f"invalid artifact link: {exc}") from exc
        return _artifact_response(ctx.store, safe)

    _dashboard(app)
    return app


def _artifact_response(store: ObjectStore, key: str) -> FileResponse:
    suffix = Path(key).suffix.lower()
    media = (
        "application/octet-stream"
        if suffix in (".sog", ".ply")
        else (mimetypes.guess_type(key)[0] or "application/octet-stream")
    )
    disposition = "inline" if suffix in INLINE_SUFFIXES else "attachment"
    headers = {"Cache-Control": "private, max-age=3600"}
    if isinstance(store, LocalStore):
        path = store.root / key
        if not path.is_file():
            raise HTTPException(404, "no such artifact")
        return FileResponse(
            path, media_type=media, headers=headers, content_disposition_type=disposition, filename=path.name
        )
    tmp = Path(tempfile.mkdtemp(prefix="spaceport-artifact-")) / Path(key).name
    try:
        store.get_file(key, tmp)
    except ObjectNotFound as exc:
        tmp.parent.rmdir()
        raise HTTPException(404, "no such artifact") from exc
    cleanup = BackgroundTask(_remove, tmp)
    return FileResponse(
        tmp,
        media_type=media,
        headers=headers,
        content_disposition_type=disposition,
        filename=tmp.name,
        background=cleanup,
    )


def _security_headers(app: FastAPI) -> None:
    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Content-Security-Policy", CSP)
        return response


def _dashboard(app: FastAPI) -> None:
    """The dashboard's static shell: it holds no data; its scripts read the API with the token."""

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    @app.get("/dashboard/jobs/{job_id}", include_in_schema=False)
    def job_page(job_id: str) -> FileResponse:
        return FileResponse(STATIC_DIR / "job.html", media_type="text/html")

    @app.get(f"/static/vendor/{engine.BUILD_FILE}", include_in_schema=False)
    def playcanvas() -> FileResponse:
        """The pinned engine: the image's build-step copy, node_modules, or fetched once into the cache."""
        try:
            path = engine.engine_file([engine_path()])
        except engine.EngineMissing as exc:
            raise HTTPException(503, str(exc)) from exc
        return FileResponse(path, media_type="text/javascript")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
