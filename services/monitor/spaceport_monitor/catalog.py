"""`GET /criteria`: what is checked, at which stage, against which configured thresholds."""

from pydantic import BaseModel

from spaceport.criteria import Thresholds
from spaceport.events.metrics import Severity
from spaceport_monitor.alerts import severity_of
from spaceport_monitor.settings import MonitorSettings


class CriterionInfo(BaseModel):
    """One criterion: its name, the stage it judges, what it checks and how severe a breach is."""

    name: str
    stage: str
    checks: str
    severity: Severity
    source: str
    """`shared` (the definitions the stage gates use too) or `monitor` (operational checks)."""


class OperationalLimits(BaseModel):
    """The monitor-only limits (nothing secret)."""

    failure_window_s: float
    max_failure_rate: float
    min_jobs_for_failure_rate: int
    sweep_interval_s: float
    watched_services: tuple[str, ...]


class CriteriaInfo(BaseModel):
    """The whole answer."""

    thresholds: Thresholds
    operational: OperationalLimits
    criteria: list[CriterionInfo]


_SHARED = (
    ("sfm_points", "sfm", "reconstructed 3D points >= min_points"),
    ("sfm_registered", "sfm", "registered images / input images > min_registered_fraction"),
    ("sfm_single_model", "sfm", "the largest model holds > min_largest_model_share of registered images"),
    ("sfm_reprojection_error", "sfm", "mean reprojection error <= max_reprojection_error_px"),
    ("trainer_initial_splats", "trainer", "SfM points to start from >= min_initial_splats"),
    ("model_size", "trainer", "trained .ply > min_model_bytes"),
    ("training_steps", "trainer", "steps trained == steps requested"),
    ("gaussian_count", "trainer", "0 < Gaussians <= the requested cap"),
    ("heldout_psnr", "trainer", "held-out PSNR (after a per-view colour fit) >= min_psnr_db[preset]"),
    ("sog_outputs", "compressor", ">= min_webp_files WebP files plus meta.json"),
    ("fidelity_position", "compressor", "max position error <= max_position_rel_error of the extent"),
    ("fidelity_rotation", "compressor", "mean rotation error <= max_rotation_deg_mean"),
    ("fidelity_psnr_drop", "compressor", "PSNR lost to compression <= max_psnr_drop_db"),
    ("duration_sfm", "sfm", "stage duration <= stage_budget_s.sfm"),
    ("duration_trainer", "trainer", "stage duration <= stage_budget_s.trainer"),
    ("duration_compressor", "compressor", "stage duration <= stage_budget_s.compressor"),
    ("duration_pipeline", "pipeline", "submission to result <= pipeline_budget_s"),
)
_MONITOR = (
    ("sfm_gate", "sfm", "SfM accepted the photos (a rejection no metric criterion explains)"),
    ("stage_failed", "any", "no stage gave up on the job"),
    ("stalled_<stage>", "any", "a running job has an event (progress included) within 5 minutes (stall_after_s)"),
    ("dead_letters_<service>", "any", "no message waits in spaceport.<service>.dlq"),
    ("failure_rate", "pipeline", "failed / ended jobs in the window <= max_failure_rate"),
)


def criteria_info(t: Thresholds, config: MonitorSettings) -> CriteriaInfo:
    """The criteria catalogue with the thresholds in force."""
    items = [
        CriterionInfo(name=n, stage=s, checks=c, severity=severity_of(n.replace("<service>", "x")), source=src)
        for src, table in (("shared", _SHARED), ("monitor", _MONITOR))
        for n, s, c in table
    ]
    return CriteriaInfo(
        thresholds=t,
        operational=OperationalLimits(
            failure_window_s=config.failure_window_s,
            max_failure_rate=config.max_failure_rate,
            min_jobs_for_failure_rate=config.min_jobs_for_failure_rate,
            sweep_interval_s=config.sweep_interval_s,
            watched_services=config.services,
        ),
        criteria=items,
    )
