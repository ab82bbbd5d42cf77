"""deploy/k8s: every core resource passes the Kubernetes schemas; the KEDA objects scale the right queues."""

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from spaceport.bus.protocol import QueueSpec
from tests.conftest import REPO

K8S = REPO / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30.0"
STAGES = ("sfm", "trainer", "compressor")


def manifests() -> list[tuple[Path, dict[str, Any]]]:
    """Every resource of every manifest the kustomization lists."""
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    return [
        (K8S / name, doc)
        for name in kustomization["resources"]
        for doc in yaml.safe_load_all((K8S / name).read_text())
        if doc
    ]


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    """Resources of one kind, by name."""
    return {doc["metadata"]["name"]: doc for _, doc in manifests() if doc["kind"] == kind}


def env_of(deployment: dict[str, Any]) -> dict[str, str]:
    """The first container's literal env values."""
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e["value"] for e in container.get("env", [])}


def test_kustomization_lists_every_manifest_in_the_folder() -> None:
    """No manifest is left out of (or missing from) the kustomization."""
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    present = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present


@pytest.mark.parametrize("path,doc", [m for m in manifests() if "keda.sh" not in m[1]["apiVersion"]])
def test_core_resources_pass_the_kubernetes_schema(path: Path, doc: dict[str, Any]) -> None:
    """Each core resource validates strictly (unknown fields rejected) against Kubernetes' own schema."""
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_schema_check_can_fail() -> None:
    """A misspelt field is rejected, so the schema test above is not vacuous."""
    bad = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "dta": {}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBERNETES_VERSION, strict=True)


def test_each_stage_scales_on_its_own_queue() -> None:
    """A ScaledObject per stage targets that stage's Deployment and the queue its workers consume."""
    scaled, deployments = of_kind("ScaledObject"), of_kind("Deployment")
    assert set(scaled) == set(STAGES)
    for stage in STAGES:
        spec = scaled[stage]["spec"]
        assert spec["scaleTargetRef"]["name"] in deployments
        [trigger] = spec["triggers"]
        assert trigger["type"] == "rabbitmq"
        assert trigger["metadata"]["queueName"] == QueueSpec(stage, ()).queue
        assert trigger["metadata"]["mode"] == "QueueLength"
        # http: the management API counts unacknowledged messages, so a held job keeps its replica
        assert trigger["metadata"]["protocol"] == "http"
        assert trigger["authenticationRef"]["name"] in of_kind("TriggerAuthentication")


def test_trainer_scales_from_zero_one_job_per_gpu_pod() -> None:
    """The trainer scales 0..N at one queued job per pod, each pod with one GPU."""
    spec = of_kind("ScaledObject")["trainer"]["spec"]
    assert spec["minReplicaCount"] == 0
    assert spec["triggers"][0]["metadata"]["value"] == "1"
    container = of_kind("Deployment")["trainer"]["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1


def test_a_stopping_worker_has_time_to_finish_its_job() -> None:
    """Kubernetes waits longer than the worker's shutdown grace, so a scale-down never kills a job mid-way."""
    for stage in STAGES:
        deployment = of_kind("Deployment")[stage]
        grace = float(env_of(deployment)["SPACEPORT_SHUTDOWN_GRACE_S"])
        assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > grace


def test_probes_use_the_health_endpoint_the_workers_serve() -> None:
    """Worker probes hit /healthz on the port SPACEPORT_HEALTH_PORT opens; the monitor's on its own port."""
    config = of_kind("ConfigMap")["spaceport-config"]["data"]
    for name, deployment in of_kind("Deployment").items():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        want = 8080 if name == "monitor" else int(config["SPACEPORT_HEALTH_PORT"])
        for probe in ("livenessProbe", "readinessProbe"):
            http = container[probe]["httpGet"]
            assert http["path"] == "/healthz"
            assert ports[http["port"]] == want


def test_secrets_come_from_the_secret_only() -> None:
    """No password, key or token sits in the ConfigMap or a literal env; every pod reads the Secret."""
    config = of_kind("ConfigMap")["spaceport-config"]["data"]
    example = (K8S / "secrets.env.example").read_text()
    secret_keys = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line and not line.startswith("#")}
    for key in config:
        assert not any(word in key for word in ("SECRET", "PASSWORD", "TOKEN", "AMQP_URL", "DATABASE_URL"))
    for deployment in of_kind("Deployment").values():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert {"secretRef": {"name": "spaceport-secrets"}} in container["envFrom"]
        assert not set(env_of(deployment)) & secret_keys
    [auth] = of_kind("TriggerAuthentication").values()
    assert {ref["key"] for ref in auth["spec"]["secretTargetRef"]} <= secret_keys


def test_trigger_metadata_values_are_strings() -> None:
    """KEDA's CRD types trigger metadata as map[string]string: a bare YAML number there is refused on apply."""
    for scaled in of_kind("ScaledObject").values():
        for trigger in scaled["spec"]["triggers"]:
            assert all(isinstance(v, str) for v in trigger["metadata"].values()), trigger["metadata"]
