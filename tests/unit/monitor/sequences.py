"""Event sequences of whole jobs, as the stages publish them: success, rejection, failure, breaches."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from spaceport.events import Compressed as CompressedEvent
from spaceport.events import (
    CompressedData,
    CompressMetrics,
    Envelope,
    Fidelity,
    ImagesReady,
    ImagesReadyData,
    ModelTrained,
    ModelTrainedData,
    SfmCompleted,
    SfmCompletedData,
    SfmMetrics,
    SfmRejected,
    SfmRejectedData,
    StageFailed,
    StageFailedData,
    StageProgress,
    StageProgressData,
    TrainMetrics,
)
from spaceport.params import JobOptions

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
Uri = Callable[[str], str]


def s3_uri(key: str) -> str:
    """A storage URI in a bucket the monitor does not serve."""
    return f"s3://spaceport/{key}"


def _at(t0: datetime, seconds: float) -> datetime:
    return t0 + timedelta(seconds=seconds)


def images_ready(job: str, t0: datetime = T0, uri: Uri = s3_uri, count: int = 40) -> ImagesReady:
    """The client's submission."""
    return ImagesReady(
        id=f"{job}-images",
        source="client",
        job_id=job,
        time=t0,
        data=ImagesReadyData(images_uri=uri(f"jobs/{job}/images/"), image_count=count, options=JobOptions()),
    )


def sfm_metrics(points: int = 12_000, registered: int = 38, total: int = 40) -> SfmMetrics:
    """A reconstruction's figures."""
    return SfmMetrics(
        images_total=total,
        images_registered=registered,
        points3d=points,
        mean_track_length=4.2,
        mean_reprojection_error_px=0.8,
        num_models=1,
        camera_model="SIMPLE_RADIAL",
        profile="default",
        step_seconds={"features": 30.0, "matching": 50.0, "mapping": 40.0},
        seconds=120.0,
    )


def progress(cause: Envelope, stage: str, fraction: float, at: datetime, n: int = 0) -> StageProgress:
    """A progress report answering `cause`."""
    return cause.answered_by(
        StageProgress,
        stage,
        id=f"{cause.job_id}-{stage}-progress-{n}",
        time=at,
        data=StageProgressData(stage=stage, fraction=fraction, step="working", figures={"step": fraction * 100}),
    )


def sfm_completed(ready: ImagesReady, at: datetime, uri: Uri = s3_uri) -> SfmCompleted:
    """SfM passed its gate."""
    job = ready.job_id
    return ready.answered_by(
        SfmCompleted,
        "sfm",
        id=f"{job}-sfm",
        time=at,
        data=SfmCompletedData(
            sparse_uri=uri(f"jobs/{job}/sfm/sparse/"),
            images_uri=ready.data.images_uri,
            report_uri=uri(f"jobs/{job}/sfm/report.json"),
            metrics=sfm_metrics(),
            options=ready.data.options,
        ),
    )


def model_trained(
    sfm: SfmCompleted,
    at: datetime,
    uri: Uri = s3_uri,
    model_bytes: int = 70_000_000,
    event_id: str | None = None,
) -> ModelTrained:
    """The trainer's result."""
    job = sfm.job_id
    metrics = TrainMetrics(
        steps=7000,
        steps_requested=7000,
        gaussians=300_000,
        initial_gaussians=12_000,
        max_gaussians=500_000,
        psnr=27.5,
        ssim=0.86,
        heldout_views=5,
        train_seconds=1300.0,
        seconds=1380.0,
        model_bytes=model_bytes,
        device="cuda",
        preset="standard",
    )
    return sfm.answered_by(
        ModelTrained,
        "trainer",
        id=event_id or f"{job}-trained",
        time=at,
        data=ModelTrainedData(
            ply_uri=uri(f"jobs/{job}/trainer/point_cloud.ply"),
            sparse_uri=sfm.data.sparse_uri,
            images_uri=sfm.data.images_uri,
            report_uri=uri(f"jobs/{job}/trainer/report.json"),
            previews_uri=uri(f"jobs/{job}/trainer/previews/"),
            metrics=metrics,
            options=sfm.data.options,
        ),
    )


def compressed(trained: ModelTrained, at: datetime, uri: Uri = s3_uri, sog_name: str = "scene.sog") -> CompressedEvent:
    """The compressor's result."""
    job = trained.job_id
    folder = f"jobs/{job}/compressor/"
    fidelity = Fidelity(
        position_rel_mean=1e-5,
        position_rel_max=2e-4,
        rotation_deg_mean=0.4,
        rotation_deg_max=3.0,
        log_scale_mean=0.01,
        log_scale_max=0.1,
        color_mean=0.002,
        color_max=0.02,
        opacity_mean=0.002,
        opacity_max=0.01,
        psnr_drop_db=0.3,
    )
    webps = ("means_l", "means_u", "quats", "scales", "sh0")
    return trained.answered_by(
        CompressedEvent,
        "compressor",
        id=f"{job}-compressed",
        time=at,
        data=CompressedData(
            sog_uri=uri(folder + sog_name),
            meta_uri=uri(folder + "meta.json"),
            webp_uris=tuple(uri(f"{folder}{name}.webp") for name in webps),
            report_uri=uri(folder + "report.json"),
            metrics=CompressMetrics(
                splats=300_000,
                sh_bands=3,
                ply_bytes=70_000_000,
                sog_bytes=7_000_000,
                ratio=10.0,
                webp_files=5,
                seconds=60.0,
                fidelity=fidelity,
            ),
        ),
    )


def success(job: str = "job-ok", t0: datetime = T0, uri: Uri = s3_uri, model_bytes: int = 70_000_000) -> list[Envelope]:
    """A job that went through every stage: submission, SfM, training, compression, with progress."""
    ready = images_ready(job, t0, uri)
    sfm = sfm_completed(ready, _at(t0, 120), uri)
    trained = model_trained(sfm, _at(t0, 1500), uri, model_bytes)
    return [
        ready,
        progress(ready, "sfm", 0.5, _at(t0, 60)),
        sfm,
        progress(sfm, "trainer", 0.4, _at(t0, 600), 1),
        trained,
        progress(trained, "compressor", 0.9, _at(t0, 1550), 2),
        compressed(trained, _at(t0, 1600), uri),
    ]


def rejected(job: str = "job-rejected", t0: datetime = T0) -> list[Envelope]:
    """A job whose photos SfM rejected: too few points, too few registered images."""
    ready = images_ready(job, t0)
    reject = ready.answered_by(
        SfmRejected,
        "sfm",
        id=f"{job}-rejected",
        time=_at(t0, 90),
        data=SfmRejectedData(
            reason="too_few_points",
            message="reconstructed 300 3D points (need at least 1000)",
            metrics=sfm_metrics(points=300, registered=12),
            hints=("take more photos with overlap",),
            report_uri=s3_uri(f"jobs/{job}/sfm/report.json"),
        ),
    )
    return [ready, progress(ready, "sfm", 0.7, _at(t0, 45)), reject]


def trainer_failure(job: str = "job-failed", t0: datetime = T0) -> list[Envelope]:
    """A job whose training gave up after three attempts."""
    ready = images_ready(job, t0)
    sfm = sfm_completed(ready, _at(t0, 120))
    failed = sfm.answered_by(
        StageFailed,
        "trainer",
        id=f"{job}-trainer-failed",
        time=_at(t0, 400),
        data=StageFailedData(
            stage="trainer",
            reason="delivery_limit_exceeded",
            message="gave up after 3 attempts: CUDA out of memory",
            retryable=True,
            attempts=3,
        ),
    )
    return [ready, sfm, progress(sfm, "trainer", 0.1, _at(t0, 200)), failed]
