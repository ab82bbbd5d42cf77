"""The success criteria: one source of truth for the SfM gate, the trainer gate and the monitor."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from spaceport.events.metrics import CompressMetrics, SfmMetrics, TrainMetrics

Outcome = Literal["pass", "fail", "pending", "not_measured"]


class Thresholds(BaseModel):
    """Configurable thresholds (env: `SPACEPORT_CRITERIA__MIN_POINTS=...`)."""

    model_config = ConfigDict(frozen=True)

    min_points: int = Field(default=1000, ge=0)
    min_registered_fraction: float = Field(default=0.5, ge=0, le=1, description="strictly more than this")
    min_largest_model_share: float = Field(default=0.5, ge=0, le=1)
    max_reprojection_error_px: float = Field(default=2.0, gt=0)
    max_photos_elsewhere: int = Field(
        default=3, ge=1, description="photos in separate groups or models of their own (3 = COLMAP's smallest model)"
    )
    min_initial_splats: int = Field(default=1000, ge=0)
    min_model_bytes: int = Field(default=100 * 1024, ge=0)
    min_webp_files: int = Field(default=3, ge=0)
    min_psnr_db: dict[str, float] = Field(default_factory=lambda: {"preview": 14.0, "standard": 25.0, "quality": 27.0})
    max_psnr_drop_db: float = Field(default=1.0, ge=0)
    max_position_rel_error: float = Field(default=1e-3, gt=0)
    max_rotation_deg_mean: float = Field(default=2.0, gt=0)
    stage_budget_s: dict[str, float] = Field(
        default_factory=lambda: {"sfm": 1800.0, "trainer": 3600.0, "compressor": 900.0}
    )
    pipeline_budget_s: float = Field(default=7200.0, gt=0)
    stall_after_s: float = Field(
        default=300.0,
        gt=0,
        description="a running job with no event (progress included) for this long is stalled; every stage "
        "reports progress at least every few seconds while it works (SfM per step and registered photo, the "
        "trainer every 25 steps, the compressor per phase), so five minutes of silence is a wedge, not a slow step",
    )


class CriterionResult(BaseModel):
    """One criterion checked against what a job reported."""

    model_config = ConfigDict(frozen=True)

    name: str
    stage: str
    outcome: Outcome
    observed: float | str | None = None
    expected: str
    message: str = ""

    @property
    def passed(self) -> bool:
        """True only for an outcome of `pass`."""
        return self.outcome == "pass"


def format_observed(value: float | str | None, expected: str = "") -> str:
    """An observed value for people, as its expectation reads: `100.0%` against `> 50%`, `13,669` not
    `13669.0`, other numbers to 4 digits; `-` when nothing was observed."""
    if value is None or isinstance(value, str):
        return "-" if value is None else value
    if expected.endswith("%"):
        return f"{value:.1%}"
    if float(value).is_integer() and abs(value) >= 1:
        return f"{int(value):,}"
    return f"{value:.4g}"


def _check(name: str, stage: str, ok: bool, observed: float | str, expected: str, message: str) -> CriterionResult:
    return CriterionResult(
        name=name,
        stage=stage,
        outcome="pass" if ok else "fail",
        observed=observed,
        expected=expected,
        message="" if ok else message,
    )


def sfm_results(m: SfmMetrics, t: Thresholds) -> list[CriterionResult]:
    """The SfM quality gate: points, registered share, one dominant model, reprojection error."""
    in_any_model = m.images_registered + m.images_in_other_models
    elsewhere = max(m.images_in_other_models, m.images_in_other_groups)
    share = m.images_registered / in_any_model if in_any_model else 0.0
    return [
        _check(
            "sfm_points",
            "sfm",
            m.points3d >= t.min_points,
            m.points3d,
            f">= {t.min_points:,}",
            f"reconstructed {m.points3d} 3D points (need at least {t.min_points})",
        ),
        _check(
            "sfm_registered",
            "sfm",
            m.registered_fraction > t.min_registered_fraction,
            round(m.registered_fraction, 4),
            f"> {t.min_registered_fraction:.0%}",
            f"registered {m.images_registered}/{m.images_total} images "
            f"(need more than {t.min_registered_fraction:.0%})",
        ),
        _check(
            "sfm_single_model",
            "sfm",
            share > t.min_largest_model_share,
            round(share, 4),
            f"> {t.min_largest_model_share:.0%}",
            f"the largest model holds {m.images_registered} of {in_any_model} registered images",
        ),
        _check(
            "sfm_one_scene",
            "sfm",
            elsewhere < t.max_photos_elsewhere,
            elsewhere,
            f"< {t.max_photos_elsewhere} photos in separate groups",
            f"{elsewhere} photos form separate groups of their own (matched among themselves, not with the rest): "
            f"they show another place, or nothing links them; only the model of {m.images_registered} photos was "
            "kept",
        ),
        _check(
            "sfm_reprojection_error",
            "sfm",
            m.mean_reprojection_error_px <= t.max_reprojection_error_px,
            round(m.mean_reprojection_error_px, 4),
            f"<= {t.max_reprojection_error_px} px",
            f"mean reprojection error {m.mean_reprojection_error_px:.2f} px (at most {t.max_reprojection_error_px} px)",
        ),
    ]


def initial_splats_result(points: int, t: Thresholds) -> CriterionResult:
    """The trainer's input gate: enough SfM points to start from."""
    return _check(
        "trainer_initial_splats",
        "trainer",
        points >= t.min_initial_splats,
        points,
        f">= {t.min_initial_splats:,}",
        f"the sparse model has {points} points (need at least {t.min_initial_splats} to train)",
    )


def training_results(m: TrainMetrics, t: Thresholds) -> list[CriterionResult]:
    """The trainer's output gate and quality floor."""
    results = [
        initial_splats_result(m.initial_gaussians, t),
        _check(
            "model_size",
            "trainer",
            m.model_bytes > t.min_model_bytes,
            m.model_bytes,
            f"> {t.min_model_bytes:,} B",
            f"model is {m.model_bytes} bytes (need more than {t.min_model_bytes})",
        ),
        _check(
            "training_steps",
            "trainer",
            m.steps == m.steps_requested,
            m.steps,
            f"== {m.steps_requested:,}",
            f"trained {m.steps} of {m.steps_requested} requested steps",
        ),
        _check(
            "gaussian_count",
            "trainer",
            0 < m.gaussians <= (m.max_gaussians or m.gaussians),
            m.gaussians,
            f"1..{m.max_gaussians:,}" if m.max_gaussians else "1..any",
            f"{m.gaussians} Gaussians (cap {m.max_gaussians})",
        ),
    ]
    floor = t.min_psnr_db.get(m.preset)
    if floor is not None:
        results.append(_heldout_floor(m, floor))
    return results


def _heldout_floor(m: TrainMetrics, floor: float) -> CriterionResult:
    """The held-out PSNR floor, on the colour-fitted figure where the trainer reports one (raw before).

    A held-out photo's own exposure and white balance are not the model's to learn (training never sees that
    photo), so on a capture whose photos differ in colour the raw figure scores the photo, not the model. The
    fit (an affine colour transform per view, 12 numbers against every pixel) cannot make up geometry or
    texture; on photos of one exposure it adds little (plain demo, preview: see the trainer README)."""
    if m.psnr_colour_fit is not None:
        return _check(
            "heldout_psnr",
            "trainer",
            m.psnr_colour_fit >= floor,
            round(m.psnr_colour_fit, 3),
            f">= {floor} dB",
            f"held-out PSNR {m.psnr_colour_fit:.2f} dB after a per-view colour fit, {m.psnr or 0:.2f} dB raw "
            f"(floor {floor} dB for '{m.preset}')",
        )
    if m.psnr is None:
        return CriterionResult(
            name="heldout_psnr",
            stage="trainer",
            outcome="fail",
            expected=f">= {floor} dB",
            message="no held-out PSNR was reported",
        )
    return _check(
        "heldout_psnr",
        "trainer",
        m.psnr >= floor,
        round(m.psnr, 3),
        f">= {floor} dB",
        f"held-out PSNR {m.psnr:.2f} dB (floor {floor} dB for '{m.preset}')",
    )


def compression_results(m: CompressMetrics, meta_json_present: bool, t: Thresholds) -> list[CriterionResult]:
    """The compressor's output gate and fidelity floors."""
    results = [
        _check(
            "sog_outputs",
            "compressor",
            m.webp_files >= t.min_webp_files and meta_json_present,
            m.webp_files,
            f">= {t.min_webp_files} WebP + meta.json",
            f"{m.webp_files} WebP files, meta.json {'present' if meta_json_present else 'missing'}",
        ),
    ]
    f = m.fidelity
    if f is not None:
        results.append(
            _check(
                "fidelity_position",
                "compressor",
                f.position_rel_max <= t.max_position_rel_error,
                f.position_rel_max,
                f"<= {t.max_position_rel_error}",
                f"position error up to {f.position_rel_max:.2e} of the scene extent",
            )
        )
        results.append(
            _check(
                "fidelity_rotation",
                "compressor",
                f.rotation_deg_mean <= t.max_rotation_deg_mean,
                round(f.rotation_deg_mean, 4),
                f"<= {t.max_rotation_deg_mean} deg",
                f"mean rotation error {f.rotation_deg_mean:.2f} deg",
            )
        )
        if f.psnr_drop_db is not None:
            results.append(
                _check(
                    "fidelity_psnr_drop",
                    "compressor",
                    f.psnr_drop_db <= t.max_psnr_drop_db,
                    round(f.psnr_drop_db, 4),
                    f"<= {t.max_psnr_drop_db} dB",
                    f"compression costs {f.psnr_drop_db:.2f} dB of held-out PSNR",
                )
            )
        elif f.psnr_drop_unmeasured is not None:
            results.append(
                CriterionResult(
                    name="fidelity_psnr_drop",
                    stage="compressor",
                    outcome="not_measured",
                    expected=f"<= {t.max_psnr_drop_db} dB",
                    message=f"not measured: {f.psnr_drop_unmeasured}",
                )
            )
    return results


def duration_result(stage: str, seconds: float, t: Thresholds) -> CriterionResult:
    """A stage's (or, with stage `pipeline`, the whole job's) duration within its budget."""
    budget = t.pipeline_budget_s if stage == "pipeline" else t.stage_budget_s.get(stage)
    if budget is None:
        return CriterionResult(
            name=f"duration_{stage}",
            stage=stage,
            outcome="pass",
            observed=round(seconds, 3),
            expected="no budget",
        )
    return _check(
        f"duration_{stage}",
        stage,
        seconds <= budget,
        round(seconds, 3),
        f"<= {budget:.0f} s",
        f"{stage} took {seconds:.0f} s (budget {budget:.0f} s)",
    )


def stage_failed_result(stage: str, reason: str, message: str, attempts: int) -> CriterionResult:
    """A stage gave up on the job."""
    return CriterionResult(
        name="stage_failed",
        stage=stage,
        outcome="fail",
        observed=reason,
        expected="no stage failure",
        message=f"{stage} failed after {attempts} attempt(s): {reason}: {message}"[:500],
    )


def sfm_gate_result(reason: str, message: str) -> CriterionResult:
    """SfM rejected the photos: the reason code and its message (the one alert of a rejection)."""
    return CriterionResult(
        name="sfm_gate",
        stage="sfm",
        outcome="fail",
        observed=reason,
        expected="photos accepted",
        message=f"SfM rejected the photos ({reason}): {message}"[:500],
    )
