"""helm-values/: valid values for the official Airflow chart (its values.schema.json, vendored in
part), each DAG delivery paired with its deploy target, and every config key known to Airflow 3.3."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

import airflow_ai_etl
from tests.unit.deployment.conftest import REPO, schema_problems

VALUES = REPO / "helm-values"
OVERLAYS = {"gitsync.yaml": "git", "shared-volume.yaml": "local"}


def merged(*files: str) -> dict[str, Any]:
    """The values Helm sees for `-f a.yaml -f b.yaml`: later files override, maps merge deeply."""

    def merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(base)
        for key, value in override.items():
            out[key] = (
                merge(out[key], value)
                if isinstance(value, dict) and isinstance(out.get(key), dict)
                else value
            )
        return out

    values: dict[str, Any] = {}
    for name in files:
        values = merge(values, yaml.safe_load((VALUES / name).read_text()))
    return values


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_values_validate_against_the_charts_schema(overlay: str) -> None:
    assert schema_problems(merged("values.yaml", overlay), "airflow_chart_values.schema.json") == []


def test_an_invalid_override_is_refused_naming_the_key() -> None:
    values = merged("values.yaml", "gitsync.yaml")
    values["dags"]["gitSync"]["branchh"] = "main"
    values["workers"]["resources"]["limits"]["memory"] = ["4Gi"]
    problems = schema_problems(values, "airflow_chart_values.schema.json")
    assert any(p.startswith("dags/gitSync") and "branchh" in p for p in problems), problems
    assert any(p.startswith("workers/resources/limits/memory") for p in problems), problems


@pytest.mark.parametrize(("overlay", "target"), sorted(OVERLAYS.items()))
def test_each_dag_delivery_is_paired_with_its_deploy_target(overlay: str, target: str) -> None:
    values = merged("values.yaml", overlay)
    assert values["config"]["ai_etl"]["deploy_target"] == target
    dags = values["dags"]
    assert dags.get("gitSync", {}).get("enabled", False) is (target == "git")
    assert dags.get("persistence", {}).get("enabled", False) is (target == "local")
    if target == "local":
        assert dags["persistence"]["accessMode"] == "ReadWriteMany"  # api-server writes, all read


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_every_config_key_exists(overlay: str, airflow_options: Mapping[str, set[str]]) -> None:
    config = merged("values.yaml", overlay)["config"]
    unknown = [
        f"[{s}] {o}"
        for s, options in config.items()
        for o in options
        if o not in airflow_options.get(s, set())
    ]
    assert unknown == []


def test_statsd_is_on_and_the_system_dag_is_installed_by_a_bundle() -> None:
    from importlib import import_module

    values = merged("values.yaml")
    assert values["statsd"]["enabled"] is True
    assert values["config"]["metrics"]["statsd_on"] == "True"
    bundles = json.loads(values["config"]["dag_processor"]["dag_bundle_config_list"])
    system = next(b for b in bundles if b["name"] == "ai-etl-system")
    module, _, name = system["classpath"].rpartition(".")
    assert hasattr(import_module(module), name)
    package_dags = Path(airflow_ai_etl.__file__).parent / "dags"
    assert Path(system["kwargs"]["path"]).parts[-2:] == package_dags.parts[-2:]
    assert (package_dags / "ai_etl_generate.py").exists()
    assert "secretRef" in values["extraEnvFrom"]  # connections and model keys from a Secret
