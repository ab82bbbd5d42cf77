"""compose.yaml describes the distributed deployment the README promises (no Docker engine needed to check)."""

from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

pytestmark = pytest.mark.unit
COMPOSE = yaml.safe_load((REPO / "compose.yaml").read_text())


def test_every_stage_service_builds_from_its_own_dockerfile() -> None:
    """sfm, trainer, compressor and monitor each build from `services/<name>/Dockerfile`, which exists."""
    for name in ("sfm", "trainer", "compressor", "monitor"):
        build = COMPOSE["services"][name]["build"]
        assert build["dockerfile"] == f"services/{name}/Dockerfile"
        assert (REPO / build["context"] / build["dockerfile"]).is_file()


def test_broker_storage_and_database_have_health_checks() -> None:
    """RabbitMQ (management image), MinIO and PostgreSQL are present and health-checked; workers wait for them."""
    services = COMPOSE["services"]
    assert "management" in services["rabbitmq"]["image"]
    for name in ("rabbitmq", "minio", "postgres"):
        assert services[name]["healthcheck"]["test"]
    for name in ("sfm", "trainer", "compressor"):
        assert services[name]["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
        assert "spaceport.runtime.healthcheck" in " ".join(services[name]["healthcheck"]["test"])


def test_consumer_timeout_is_raised_above_long_training_jobs() -> None:
    """RabbitMQ's consumer_timeout is raised to at least 2 hours so long jobs keep their deliveries."""
    args = COMPOSE["services"]["rabbitmq"]["environment"]["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"]
    timeout_ms = int(args.split("consumer_timeout")[1].split()[0])
    assert timeout_ms >= 2 * 3600 * 1000


def test_trainer_reserves_a_gpu_and_stages_are_scalable() -> None:
    """The trainer reserves an NVIDIA GPU; stage workers publish no fixed host ports, so --scale works."""
    services = COMPOSE["services"]
    devices = services["trainer"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia" and "gpu" in devices[0]["capabilities"]
    for name in ("sfm", "trainer", "compressor"):
        assert "ports" not in services[name] and "container_name" not in services[name]


def test_workers_get_the_settings_they_validate(tmp_path: Path) -> None:
    """The environment compose gives a worker is accepted by the Settings model (S3 storage, secrets set)."""
    from spaceport.settings import Settings

    env = COMPOSE["services"]["sfm"]["environment"]
    names = {k.removeprefix("SPACEPORT_").lower(): v for k, v in env.items() if k.startswith("SPACEPORT_")}
    settings = Settings(**names)
    assert settings.storage_url.startswith("s3://") and settings.s3_secret_key is not None
    assert "spaceport-secret" not in str(settings.safe_summary())
