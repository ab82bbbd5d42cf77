"""The monitor's own settings (`SPACEPORT_MONITOR_*`), beside the shared `Settings`."""

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

OPS_JOB_ID = "ops-monitor"
"""The job id of alerts that concern the system, not one job (dead letters, failure rate)."""

PIPELINE_SERVICES = ("sfm", "trainer", "compressor", "monitor")


class MonitorSettings(BaseSettings):
    """Where the monitor keeps its records, how it serves them, and its operational checks."""

    model_config = SettingsConfigDict(env_prefix="SPACEPORT_MONITOR_", extra="ignore")

    database_url: SecretStr = SecretStr("sqlite:///spaceport-monitor.db")
    host: str = "0.0.0.0"
    port: int = Field(default=8080, ge=0, le=65535)
    api_token: SecretStr | None = None
    """When set, every route but `/healthz` and the dashboard's static shell needs `Authorization: Bearer`."""
    link_secret: SecretStr | None = None
    """Signs artifact links; defaults to the API token, else a random key per process (set it for replicas)"""
    link_ttl_s: float = Field(default=3600.0, gt=0, description="lifetime of signed artifact links")
    webhook_url: SecretStr | None = None
    """Slack-compatible incoming webhook; a secret (it authorizes posting)."""
    webhook_timeout_s: float = Field(default=5.0, gt=0)
    webhook_max_attempts: int = Field(default=5, ge=1)
    sweep_interval_s: float = Field(
        default=15.0, gt=0, description="stall, dead-letter and failure-rate checks"
    )
    notify_interval_s: float = Field(default=1.0, gt=0, description="how often pending webhooks are sent")
    failure_window_s: float = Field(default=3600.0, gt=0)
    max_failure_rate: float = Field(default=0.5, ge=0, le=1, description="alert when more fail than this")
    min_jobs_for_failure_rate: int = Field(default=4, ge=1)
    services: tuple[str, ...] = PIPELINE_SERVICES
    """Whose queues and dead-letter queues are watched."""
    prefetch: int = Field(default=8, ge=1)
    queue_name: str = Field(default="monitor", pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    """Its queue is `spaceport.<queue_name>`: a second, independent monitor on one broker needs its own."""
    public_url: str | None = None
    """Where people reach the dashboard (for links in webhook messages)."""
