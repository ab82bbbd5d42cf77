"""The images: upstream bases by default, stand-ins only through the local override, one trainer Dockerfile."""

import importlib.util
import re

import yaml

from tests.conftest import REPO

_spec = importlib.util.spec_from_file_location("image_requirements", REPO / "deploy" / "docker" / "requirements.py")
assert _spec is not None and _spec.loader is not None
image_requirements = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(image_requirements)
requirements = image_requirements.requirements

UPSTREAM = {
    "sfm": "python:3.11-slim",
    "compressor": "python:3.11-slim",
    "monitor": "python:3.11-slim",
    "trainer": "pytorch/pytorch:2.4.1-cuda12.4-cudnn9-devel",
}


def test_production_compose_names_the_upstream_images() -> None:
    """compose.yaml pulls RabbitMQ, MinIO and PostgreSQL from their upstream images and builds the rest."""
    services = yaml.safe_load((REPO / "compose.yaml").read_text())["services"]
    assert services["rabbitmq"]["image"].startswith("rabbitmq:")
    assert services["minio"]["image"].startswith("minio/minio")
    assert services["postgres"]["image"].startswith("postgres:")
    assert all("image" not in services[s] and "args" not in services[s]["build"] for s in UPSTREAM)


def test_each_dockerfile_defaults_to_its_upstream_base() -> None:
    """BASE_IMAGE, the first line a build can change, defaults to the image users pull."""
    for service, base in UPSTREAM.items():
        text = (REPO / "services" / service / "Dockerfile").read_text()
        assert re.search(rf"^ARG BASE_IMAGE={re.escape(base)}$", text, re.M), service
        assert "FROM ${BASE_IMAGE}" in text


def test_local_override_changes_only_images_and_build_arguments() -> None:
    """The override swaps images and build args; the CPU trainer is built from the CUDA trainer's Dockerfile."""
    services = yaml.safe_load((REPO / "deploy" / "local" / "compose.local.yaml").read_text())["services"]
    for name in UPSTREAM:
        assert set(services[name].get("build", {})) <= {"args"}, name
        assert services[name]["build"]["args"]["BASE_IMAGE"].endswith("/python:3.11")
    assert services["trainer"]["build"]["args"]["TORCH_CUDA_ARCH_LIST"] == ""


def test_requirements_expand_extras_and_refuse_unknown_ones() -> None:
    """The dependency layer holds the core and the extra's dependencies, self-references expanded."""
    pyproject = {
        "project": {
            "name": "demo",
            "dependencies": ["a"],
            "optional-dependencies": {"x": ["b", "a"], "y": ["c"], "all": ["demo[x,y]"]},
        }
    }
    assert requirements(pyproject, ["x"]) == ["a", "b"]
    assert requirements(pyproject, ["all"]) == ["a", "b", "c"]
    try:
        requirements(pyproject, ["z"])
    except SystemExit as exc:
        assert "no extra 'z'" in str(exc)
    else:
        raise AssertionError("an unknown extra was accepted")
