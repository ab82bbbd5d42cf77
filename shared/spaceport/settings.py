"""Service settings from `SPACEPORT_*` environment variables, validated at start-up."""

import tempfile
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from spaceport.criteria import Thresholds


class Settings(BaseSettings):
    """Settings shared by every service. Secrets are `SecretStr` and never logged."""

    model_config = SettingsConfigDict(env_prefix="SPACEPORT_", env_nested_delimiter="__", extra="ignore")

    amqp_url: SecretStr = SecretStr("amqp://guest:guest@127.0.0.1:5672/")
    exchange: str = "spaceport"
    storage_url: str = "file://" + str(Path.cwd() / "spaceport-data")
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key: SecretStr | None = None
    s3_secret_key: SecretStr | None = None
    work_dir: Path = Path(tempfile.gettempdir()) / "spaceport-work"
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    delivery_limit: int = Field(default=3, ge=1)
    prefetch: int | None = Field(default=None, ge=1)
    publish_timeout_s: float = Field(default=30.0, gt=0)
    retry_backoff_s: float = Field(default=1.0, ge=0, description="first retry delay; doubles per attempt")
    shutdown_grace_s: float = Field(default=30.0, ge=0)
    infra_retry_s: float = Field(
        default=300.0, ge=0, description="how long a storage or publish call of the runtime is retried in place"
    )
    lease_s: float = Field(default=60.0, gt=0, description="lifetime of a job's lease; renewed every third of it")
    lease_settle_s: float = Field(
        default=0.5, ge=0, description="wait between writing a lease and reading it back (0: one process only)"
    )
    stall_after_s: float = Field(
        default=600.0, gt=0, description="a held delivery with no progress for this long makes the worker unhealthy"
    )
    health_file: Path | None = None
    health_port: int | None = Field(default=None, ge=0, le=65535)
    threads: int = Field(default=0, ge=0, description="CPU threads for heavy work; 0 = all cores")
    criteria: Thresholds = Thresholds()

    def safe_summary(self) -> dict[str, object]:
        """Settings fit for a log line: secrets masked."""
        return {
            name: ("**********" if isinstance(value, SecretStr) else value)
            for name, value in self.model_dump().items()
            if name != "criteria"
        }
