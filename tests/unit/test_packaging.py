"""The installed distribution as Airflow finds it: provider entry point, plugin entry point, extras."""

from __future__ import annotations

from importlib.metadata import distribution

from airflow.plugins_manager import AirflowPlugin, is_valid_plugin
from packaging.requirements import Requirement

DIST = distribution("airflow-ai-etl")


def _entry_point(group: str):  # type: ignore[no-untyped-def]
    (entry_point,) = (ep for ep in DIST.entry_points if ep.group == group)
    return entry_point


def test_provider_entry_point_names_this_distribution() -> None:
    info = _entry_point("apache_airflow_provider").load()()
    assert info["package-name"] == "airflow-ai-etl" == DIST.metadata["Name"]
    assert info["versions"][0] == DIST.version
    assert "ai_etl" in info["config"]


def test_plugin_entry_point_gives_a_valid_airflow_plugin() -> None:
    plugin = _entry_point("airflow.plugins").load()
    assert isinstance(plugin, type) and issubclass(plugin, AirflowPlugin)
    assert is_valid_plugin(plugin)
    assert plugin.name == "ai_etl"


def test_python_and_airflow_requirements_and_extras() -> None:
    assert DIST.metadata["Requires-Python"] == ">=3.11"
    (airflow,) = (r for r in map(Requirement, DIST.requires or []) if r.name == "apache-airflow")
    assert [v for v in ("3.0.6", "3.1.0", "3.3.2", "4.0.0") if airflow.specifier.contains(v)] == [
        "3.1.0",
        "3.3.2",
    ]
    extras = set(DIST.metadata.get_all("Provides-Extra") or [])
    assert {"postgres", "clickhouse", "kafka", "spark", "amazon", "memory", "dev"} <= extras
