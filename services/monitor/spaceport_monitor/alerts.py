"""Alerts: which breaches are critical, the Alert event (with a stable id) and the webhook message."""

import hashlib
from dataclasses import dataclass

from pydantic import BaseModel

from spaceport.criteria import CriterionResult, format_observed
from spaceport.events import Alert, AlertData, Envelope
from spaceport.events.metrics import Severity

CRITICAL = frozenset({"stage_failed", "model_size", "sog_outputs", "training_steps", "gaussian_count", "failure_rate"})
CRITICAL_PREFIXES = ("dead_letters_",)
_STAGES = frozenset({"client", "sfm", "trainer", "compressor", "monitor"})
_COLOURS: dict[str, str] = {"info": "#439fe0", "warning": "#daa038", "critical": "#d00000"}


def severity_of(criterion: str) -> Severity:
    """Critical when a job or the system is broken; warning for quality, time and input problems."""
    if criterion in CRITICAL or criterion.startswith(CRITICAL_PREFIXES):
        return "critical"
    return "warning"


def alerting(outcome: str, failed: list[CriterionResult]) -> list[CriterionResult]:
    """The failed criteria that raise alerts: for a rejected job only `sfm_gate`, which names the rejection's
    reason and message (its metric criteria stay in the record, but one rejection is one alert)."""
    if outcome == "rejected":
        return [r for r in failed if r.name == "sfm_gate"]
    return failed


def alert_id(job_id: str, criterion: str, episode: int) -> str:
    """A stable id: the same breach always makes the same Alert event (consumers dedupe on it)."""
    digest = hashlib.sha256(f"{job_id}|{criterion}|{episode}".encode()).hexdigest()
    return f"alert-{digest[:32]}"


@dataclass(frozen=True)
class Breach:
    """A failed criterion about to become an alert."""

    job_id: str
    result: CriterionResult
    episode: int = 0
    cause: Envelope | None = None


def alert_event(breach: Breach) -> Alert:
    """The Alert event of a breach (answering the event that revealed it, if any)."""
    r = breach.result
    stage = r.stage if r.stage in _STAGES else None
    return Alert.model_validate(
        {
            "id": alert_id(breach.job_id, r.name, breach.episode),
            "source": "monitor",
            "job_id": breach.job_id,
            "causation_id": breach.cause.id if breach.cause is not None else None,
            "data": AlertData(
                criterion=r.name,
                severity=severity_of(r.name),
                message=r.message or r.name,
                observed=r.observed,
                expected=r.expected,
                stage=stage,
            ),
        }
    )


class SlackField(BaseModel):
    """One short field of a Slack attachment."""

    title: str
    value: str
    short: bool = True


class SlackAttachment(BaseModel):
    """A coloured Slack attachment."""

    color: str
    fallback: str
    fields: list[SlackField]


class WebhookMessage(BaseModel):
    """A Slack-compatible incoming-webhook body (`text` alone is enough for Slack and most look-alikes)."""

    text: str
    attachments: list[SlackAttachment]


def webhook_message(alert: Alert, dashboard_url: str | None = None) -> WebhookMessage:
    """The webhook body of an alert: severity, job, criterion, observed vs expected."""
    d = alert.data
    text = f"[{d.severity}] {d.criterion} on job {alert.job_id}: {d.message}"
    if dashboard_url:
        text += f" <{dashboard_url.rstrip('/')}/dashboard/jobs/{alert.job_id}|open>"
    fields = [
        SlackField(title="job", value=alert.job_id),
        SlackField(title="criterion", value=d.criterion),
        SlackField(title="observed", value=format_observed(d.observed, d.expected or "")),
        SlackField(title="expected", value=d.expected or "-"),
    ]
    return WebhookMessage(
        text=text, attachments=[SlackAttachment(color=_COLOURS[d.severity], fallback=text, fields=fields)]
    )
