"""The deployment files are valid before anyone tries them: the compose file against the Compose
Specification's JSON schema (tests/containers/data/compose-spec.json, from compose-spec/compose-spec),
the Kubernetes manifests against the API's schemas (kubernetes-validate ships them; no cluster needed),
and each says what the guide promises (probes, disruption budgets, no root, no secrets inside)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose.yaml"
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.31.0"
SERVICES = ("intake", "dispatch", "gateway", "audit")


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def manifests() -> list[dict]:
    return [doc for path in sorted(K8S.glob("*.yaml")) if path.name != "kustomization.yaml"
            for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_the_compose_file_is_valid_against_the_compose_specification() -> None:
    schema = json.loads((Path(__file__).parent / "data" / "compose-spec.json").read_text())
    jsonschema.validate(compose(), schema, cls=jsonschema.Draft7Validator)


def test_the_compose_topology_runs_two_of_each_consumer_and_holds_no_secret() -> None:
    services = compose()["services"]
    for name in ("dispatch", "gateway", "audit"):
        assert {f"{name}-1", f"{name}-2"} <= services.keys()
        assert services[f"{name}-1"]["image"] == services[f"{name}-2"]["image"]
    assert {"kafka", "postgres", "intake", "console", "refdept", "otel-collector"} <= services.keys()
    text = COMPOSE.read_text()
    # passwords and tokens only ever as ${…} taken from the environment of whoever starts the stack
    for line in text.splitlines():
        if re.search(r"(PASSWORD|TOKEN)\s*:", line) and not line.lstrip().startswith("#"):
            assert "${" in line, line
    for name, service in services.items():
        if name != "otel-collector":
            assert service["image"].startswith("localhost/jiesu-"), name  # the images deploy/images.sh builds


@pytest.mark.parametrize("doc", manifests(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_each_manifest_is_valid_against_the_kubernetes_schemas(doc: dict) -> None:
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_services_have_probes_budgets_and_no_root() -> None:
    docs = manifests()
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    budgets = {d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] for d in docs
               if d["kind"] == "PodDisruptionBudget"}
    assert set(SERVICES) | {"console"} <= deployments.keys()
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        (container,) = pod["containers"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/health"
        if name in SERVICES:
            assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
            assert any(p["containerPort"] == 9100 for p in container["ports"])  # /metrics, not on a Service
        if deployment["spec"]["replicas"] > 1:
            assert name in budgets, f"{name} runs several replicas without a PodDisruptionBudget"
        for variable in container.get("env", []):
            assert "value" not in variable or not re.search(r"TOKEN|PASSWORD|SECRET|DATABASE_URL", variable["name"])
    for name in ("dispatch", "gateway", "audit"):
        assert deployments[name]["spec"]["replicas"] >= 2
