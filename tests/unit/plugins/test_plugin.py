"""The plugin: cheap to import in every Airflow process, app built on demand, nav entry, registration."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi import HTTPException

from airflow_ai_etl.get_provider_info import OPTIONS, get_provider_info

#: What no Airflow process should pay for just by loading the plugin: the page's app and store, the
#: agents and the validator (sqlglot), model clients, and the drivers events and telemetry use.
HEAVY = (
    "fastapi",
    "airflow_ai_etl.store",
    "airflow_ai_etl.plugins.app",
    "airflow_ai_etl.agents",
    "airflow_ai_etl.validation",
    "sqlglot",
    "pydantic_ai",
    "pyarrow",
    "confluent_kafka",
    "clickhouse_connect",
)


def test_importing_the_plugin_and_what_it_pulls_in_loads_nothing_heavy() -> None:
    """The plugin, and every module of the lifecycle events and observability packages it (and
    every operator) pulls in, import nothing heavy at module level: drivers load on first use."""
    code = (
        "import importlib, json, pkgutil, sys\n"
        "import airflow_ai_etl.plugins.plugin\n"
        "import airflow_ai_etl.lifecycle as lifecycle, airflow_ai_etl.observability as observability\n"
        "names = [m.name for p in (lifecycle, observability)"
        " for m in pkgutil.iter_modules(p.__path__, p.__name__ + '.')]\n"
        "for name in names: importlib.import_module(name)\n"
        f"print(json.dumps([names, [m for m in {HEAVY!r} if m in sys.modules]]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    imported, heavy = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {"airflow_ai_etl.lifecycle.publisher", "airflow_ai_etl.observability.telemetry"} <= set(imported)
    assert heavy == []


def test_the_app_is_built_on_first_access_and_mounted_at_ai_etl() -> None:
    from airflow_ai_etl.plugins.plugin import AiEtlPlugin

    plugin = AiEtlPlugin()
    (app,) = plugin.fastapi_apps
    assert app["url_prefix"] == "/ai-etl" and app["name"] == "ai_etl"
    assert plugin.fastapi_apps[0]["app"] is app["app"]  # built once per process
    paths = {route.path for route in app["app"].routes}  # type: ignore[attr-defined]
    assert {"/", "/static/{path:path}", "/api/requests", "/api/drafts/{draft_id}/deploy"} <= paths
    (view,) = plugin.external_views
    assert (view["href"], view["destination"], view["url_route"]) == ("/ai-etl/", "nav", "ai-etl")


def test_registered_as_entry_point_and_in_provider_info() -> None:
    from importlib.metadata import entry_points

    (entry,) = [e for e in entry_points(group="airflow.plugins") if e.name == "ai_etl"]
    assert entry.value == "airflow_ai_etl.plugins.plugin:AiEtlPlugin"
    info = get_provider_info()
    assert {"name": "ai_etl", "plugin-class": "airflow_ai_etl.plugins.plugin.AiEtlPlugin"} in info["plugins"]
    assert info["config"]["ai_etl"]["options"]["store_url"]["default"] == ""


def test_config_options_are_named_once_and_typed_as_airflow_reads_them() -> None:
    options = get_provider_info()["config"]["ai_etl"]["options"]
    assert len(options) == len(OPTIONS)  # a name listed twice would silently drop an option
    assert {o["type"] for o in options.values()} <= {"string", "integer", "float", "boolean"}
    assert all(o["description"].endswith("\n") and o["version_added"] for o in options.values())


def test_static_files_stay_inside_their_folder(tmp_path: Path) -> None:
    from airflow_ai_etl.plugins.app import _static_file

    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "app.js").write_text("1")
    (tmp_path / "secret.txt").write_text("no")
    assert _static_file(tmp_path / "static", "app.js") == (tmp_path / "static" / "app.js").resolve()
    for bad in ("../secret.txt", "missing.js", ""):
        with pytest.raises(HTTPException) as raised:
            _static_file(tmp_path / "static", bad)
        assert raised.value.status_code == 404


def test_generate_operator_takes_a_request_or_its_params() -> None:
    from airflow.sdk.exceptions import AirflowFailException

    from airflow_ai_etl.operators.generate import GeneratePipelineOperator

    assert GeneratePipelineOperator(task_id="g", from_params=True).from_params
    with pytest.raises(ValueError, match="request, from_params"):
        GeneratePipelineOperator(task_id="g")
    with pytest.raises(ValueError, match="request, from_params"):
        GeneratePipelineOperator(task_id="g", request="copy", conn_ids=["a"], from_params=True)
    with pytest.raises(ValueError, match="conn_ids"):
        GeneratePipelineOperator(task_id="g", request="copy")
    op = GeneratePipelineOperator(task_id="g", from_params=True)
    for params, field in (
        ({"conn_ids": ["a"]}, "params.request"),
        ({"request": "copy", "conn_ids": []}, "params.conn_ids"),
        ({"request": "copy", "conn_ids": "a,b"}, "params.conn_ids"),
    ):
        with pytest.raises(AirflowFailException, match=field):
            op.execute({"params": params, "ti": None})  # type: ignore[typeddict-item]
