"""The monitor's own settings (`SPACEPORT_MONITOR_*`), beside the shared `Settings`."""

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

OPS_JOB_ID = "ops-monitor"
"""The job id of alerts that concern the system, not one job (dead letters, failure rate)."""

PIPELINE_SERVICES = ("sfm", "trainer", "compressor", "monitor")


class MonitorSettings(BaseSettings):
    """Where the monitor keeps its records, how it serves them, and its operational checks."""

    model_config = SettingsConfigDict(env_prefix="SPACEPORT_MONITOR_", extra="ignore")

    database_url: SecretStr = SecretStr("sqlite:///spaceport-monitor.db")
    host: str = "127.0.0.1"
    """Loopback by default: serving every interface is a choice (compose makes it, with a token)."""
    port: int = Field(default=8080, ge=0, le=65535)
    allow_open: bool = False
    """Serve a non-loopback `host` without `api_token` (refused by default: the API lists every job)."""
    api_token: SecretStr | None = None
    """When set, every route but `/healthz` and the dashboard's static shell needs `Authorization: Bearer`."""
    link_secret: SecretStr | None = None
    """Signs artifact links; defaults to the API token, else a random key per process (set it for replicas)"""
    link_ttl_s: float = Field(default=3600.0, gt=0, description="lifetime of signed artifact links")
    webhook_url: SecretStr | None = None
    """Slack-compatible incoming webhook; a secret (it authorizes posting)."""
    webhook_timeout_s: float = Field(default=5.0, gt=0)
    webhook_max_attempts: int = Field(default=5, ge=1)
    sweep_interval_s: float = Field(default=15.0, gt=0, description="stall, dead-letter and failure-rate checks")
    notify_interval_s: float = Field(default=1.0, gt=0, description="how often pending webhooks are sent")
    shutdown_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="how long shutdown waits for a check in progress and the API before cancelling them",
    )
    failure_window_s: float = Field(default=3600.0, gt=0)
    max_failure_rate: float = Field(default=0.5, ge=0, le=1, description="alert when more fail than this")
    min_jobs_for_failure_rate: int = Field(default=4, ge=1)
    services: tuple[str, ...] = PIPELINE_SERVICES
    """Whose queues and dead-letter queues are watched."""
    prefetch: int = Field(default=8, ge=1)
    queue_name: str = Field(default="monitor", pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    """Its queue is `spaceport.<queue_name>`: a second, independent monitor on one broker needs its own."""
    rabbitmq_api_url: SecretStr | None = None
    """RabbitMQ's management API (for the unacked-messages gauge); default: port 15672 on the broker's host,
    with the AMQP URL's credentials."""
    public_url: str | None = None
    """Where people reach the dashboard (for links in webhook messages)."""

    @model_validator(mode="after")
    def _no_open_api_by_accident(self) -> "MonitorSettings":
        """A monitor reachable from other hosts needs a token, unless that is asked for explicitly."""
        loopback = self.host in ("127.0.0.1", "localhost", "::1")
        if not loopback and self.api_token is None and not self.allow_open:
            raise ValueError(
                f"the monitor would serve every job on {self.host} without a token: set "
                "SPACEPORT_MONITOR_API_TOKEN (or SPACEPORT_MONITOR_ALLOW_OPEN=true to serve it open on purpose)"
            )
        return self
