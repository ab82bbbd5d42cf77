"""One sample of every event type, with fixed ids and times, for golden wire-format tests."""

from datetime import UTC, datetime

from spaceport.events import (
    Alert,
    AlertData,
    Compressed,
    CompressedData,
    CompressMetrics,
    Envelope,
    ExportedFile,
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

T0 = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
JOB = "20261126-120000-abcd1234"
OPTIONS = JobOptions.for_preset("standard")
SFM = SfmMetrics(
    images_total=50,
    images_registered=50,
    points3d=13585,
    mean_track_length=6.6,
    mean_reprojection_error_px=0.93,
    num_models=1,
    camera_model="SIMPLE_RADIAL",
    profile="default",
    step_seconds={"extraction": 39.0, "matching": 81.0, "mapping": 25.0},
    seconds=145.0,
    peak_rss_bytes=2_400_000_000,
)
TRAIN = TrainMetrics(
    steps=7000,
    steps_requested=7000,
    gaussians=300000,
    initial_gaussians=13585,
    max_gaussians=500000,
    psnr=31.5,
    ssim=0.9,
    heldout_views=7,
    train_seconds=25.0,
    seconds=40.0,
    peak_memory_bytes=500_000_000,
    peak_rss_bytes=3_100_000_000,
    model_bytes=70_000_000,
    device="cuda",
    preset="standard",
)
FIDELITY = Fidelity(
    position_rel_mean=1e-6,
    position_rel_max=6e-5,
    rotation_deg_mean=0.4,
    rotation_deg_max=1.2,
    log_scale_mean=0.007,
    log_scale_max=0.09,
    color_mean=0.3,
    color_max=2.0,
    opacity_mean=0.001,
    opacity_max=0.002,
    sh_rel_rmse=0.2,
    psnr_drop_db=0.1,
)
URI = "s3://spaceport/jobs/" + JOB


def sample_events() -> list[Envelope]:
    """One event of each type, as a producer would publish it."""
    common = {"job_id": JOB, "time": T0}
    return [
        ImagesReady(
            id="e1",
            source="client",
            data=ImagesReadyData(images_uri=f"{URI}/images/", image_count=50, options=OPTIONS),
            **common,
        ),
        SfmCompleted(
            id="e2",
            source="sfm",
            causation_id="e1",
            data=SfmCompletedData(
                sparse_uri=f"{URI}/sfm/sparse/0/",
                images_uri=f"{URI}/images/",
                report_uri=f"{URI}/sfm/report.json",
                metrics=SFM,
                options=OPTIONS,
            ),
            **common,
        ),
        SfmRejected(
            id="e3",
            source="sfm",
            causation_id="e1",
            data=SfmRejectedData(
                reason="too_few_registered",
                message="registered 3/40 images (need more than 50%)",
                metrics=SFM,
                hints=("Take photos with more overlap.",),
                report_uri=f"{URI}/sfm/report.json",
            ),
            **common,
        ),
        ModelTrained(
            id="e4",
            source="trainer",
            causation_id="e2",
            data=ModelTrainedData(
                ply_uri=f"{URI}/trainer/model.ply",
                sparse_uri=f"{URI}/sfm/sparse/0/",
                images_uri=f"{URI}/images/",
                report_uri=f"{URI}/trainer/report.json",
                previews_uri=f"{URI}/trainer/previews/",
                metrics=TRAIN,
                options=OPTIONS,
            ),
            **common,
        ),
        Compressed(
            id="e5",
            source="compressor",
            causation_id="e4",
            data=CompressedData(
                sog_uri=f"{URI}/compressor/scene.sog",
                meta_uri=f"{URI}/compressor/sog/meta.json",
                webp_uris=(f"{URI}/compressor/sog/means_l.webp",),
                report_uri=f"{URI}/compressor/report.json",
                exports=(ExportedFile(format="spz", uri=f"{URI}/compressor/scene.spz", bytes=3_100_000),),
                metrics=CompressMetrics(
                    splats=300000,
                    ply_bytes=70_000_000,
                    sog_bytes=4_000_000,
                    ratio=17.5,
                    webp_files=7,
                    sh_bands=3,
                    peak_memory_bytes=900_000_000,
                    fidelity=FIDELITY,
                ),
            ),
            **common,
        ),
        StageFailed(
            id="e6",
            source="trainer",
            causation_id="e2",
            data=StageFailedData(
                stage="trainer",
                reason="insufficient_initial_splats",
                message="the sparse model has 999 points",
            ),
            **common,
        ),
        StageProgress(
            id="e7",
            source="trainer",
            causation_id="e2",
            data=StageProgressData(
                stage="trainer",
                fraction=0.5,
                eta_seconds=12.0,
                step="train",
                message="Iter 3500",
                figures={"loss": 0.025, "gaussians": 150000.0},
            ),
            **common,
        ),
        Alert(
            id="e8",
            source="monitor",
            causation_id="e3",
            data=AlertData(
                criterion="sfm_registered",
                severity="critical",
                message="registered 3/40 images",
                observed=0.075,
                expected="> 50%",
                stage="sfm",
            ),
            **common,
        ),
    ]
