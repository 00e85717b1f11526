"""The monitoring files agree with the package: the statsd-exporter mapping names exactly the metrics
`observability/metrics.py` emits, and every series, label, table and column a dashboard or an alert
rule queries is one the package writes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import sqlglot
import yaml
from sqlglot import exp

from airflow_ai_etl.observability.metrics import METRICS, Metric
from airflow_ai_etl.observability.telemetry import ddl_statements

REPO = Path(__file__).resolve().parents[3]
MAPPING = yaml.safe_load((REPO / "docker" / "statsd-exporter" / "mapping.yml").read_text())
ALERTS = yaml.safe_load((REPO / "docker" / "prometheus" / "alerts.yml").read_text())
DASHBOARDS = {
    p.name: json.loads(p.read_text()) for p in (REPO / "docker" / "grafana" / "dashboards").glob("*.json")
}
STATSD_PREFIX = "airflow."
#: What a series of each kind is called in Prometheus, and the suffixes PromQL may add.
SUFFIX = {"counter": "_total", "timer": "_seconds", "gauge": ""}
HISTOGRAM_PARTS = ("_bucket", "_sum", "_count")
#: Labels Prometheus adds to every series itself (plus the histogram's own).
BUILT_IN_LABELS = {"job", "instance", "le"}
SERIES = re.compile(r"\b(ai_etl_[a-z0-9_]+)\b")
#: `by (a, b)`, `without (...)`, and matchers `{a="x", b=~"y"}`.
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
MATCHERS = re.compile(r"\{([^}]*)\}")


def _series() -> dict[str, Metric]:
    """Prometheus series name -> the metric it carries, from the mapping."""
    found = {}
    for rule in MAPPING["mappings"]:
        name = rule["match"].removeprefix(STATSD_PREFIX)
        assert name in METRICS, f"the mapping maps {rule['match']}, which the package does not emit"
        found[rule["name"]] = METRICS[name]
    return found


SERIES_BY_NAME = _series()


def _prometheus_queries() -> list[tuple[str, str]]:
    queries = [
        (f"alert {rule['alert']}", rule["expr"]) for group in ALERTS["groups"] for rule in group["rules"]
    ]
    for file, board in DASHBOARDS.items():
        for panel in board["panels"]:
            for target in panel["targets"]:
                if target["datasource"]["type"] == "prometheus":
                    queries.append((f"{file}: {panel['title']}", target["expr"]))
    return queries


def _clickhouse_queries() -> list[tuple[str, str]]:
    return [
        (f"{file}: {panel['title']}", target["rawSql"])
        for file, board in DASHBOARDS.items()
        for panel in board["panels"]
        for target in panel["targets"]
        if target["datasource"]["type"] == "grafana-clickhouse-datasource"
    ]


def test_the_mapping_names_every_metric_once_with_its_type_and_unit() -> None:
    assert sorted(m.name for m in SERIES_BY_NAME.values()) == sorted(METRICS)
    for rule in MAPPING["mappings"]:
        metric = METRICS[rule["match"].removeprefix(STATSD_PREFIX)]
        assert rule["name"] == metric.name.replace(".", "_") + SUFFIX[metric.kind], rule
        assert rule["match_metric_type"] == {"timer": "observer"}.get(metric.kind, metric.kind), rule


def test_there_are_dashboards_for_pipelines_llm_usage_generation_and_telemetry() -> None:
    assert set(DASHBOARDS) == {
        "ai-etl-pipelines.json",
        "ai-etl-llm.json",
        "ai-etl-generation.json",
        "ai-etl-telemetry.json",
    }
    assert len({board["uid"] for board in DASHBOARDS.values()}) == len(DASHBOARDS)
    assert {rule["alert"] for group in ALERTS["groups"] for rule in group["rules"]} >= {
        "AiEtlPipelineTaskFailing",
        "AiEtlQualityCheckFailing",
        "AiEtlBudgetExhausted",
    }


@pytest.mark.parametrize(("where", "expr"), _prometheus_queries())
def test_every_series_and_label_a_query_uses_is_emitted(where: str, expr: str) -> None:
    names = SERIES.findall(expr)
    assert names, f"{where}: queries none of the package's series"
    labels: set[str] = set()
    for name in names:
        base = next(
            (name.removesuffix(s) for s in HISTOGRAM_PARTS if name.removesuffix(s) in SERIES_BY_NAME), name
        )
        assert base in SERIES_BY_NAME, f"{where}: {name} is not a series the package emits"
        if base != name:
            assert SERIES_BY_NAME[base].kind == "timer", f"{where}: {name} of a non-histogram"
        labels |= set(SERIES_BY_NAME[base].tags)
    used = {label.strip() for group in GROUPING.findall(expr) for label in group.split(",") if label.strip()}
    used |= {m.split("=")[0].strip(" !~") for group in MATCHERS.findall(expr) for m in group.split(",")}
    assert used - labels - BUILT_IN_LABELS == set(), f"{where}: labels the series do not carry"


def _tables() -> dict[str, set[str]]:
    tables = {}
    for statement in ddl_statements():
        create = sqlglot.parse_one(statement, read="clickhouse")
        schema = create.this
        tables[schema.this.name] = {column.name for column in schema.expressions}
    return tables


@pytest.mark.parametrize(("where", "sql"), _clickhouse_queries())
def test_every_table_and_column_a_telemetry_panel_reads_exists(where: str, sql: str) -> None:
    tables = _tables()
    # Grafana's macro, as the ClickHouse data source expands it.
    query = sqlglot.parse_one(
        sql.replace("$__timeFilter(at)", "at >= now() - INTERVAL 1 DAY"), read="clickhouse"
    )
    [table] = {t.name for t in query.find_all(exp.Table)}
    assert table in tables, f"{where}: {table} is not a telemetry table"
    aliases = {a.alias for a in query.find_all(exp.Alias)}
    columns = {c.name for c in query.find_all(exp.Column)} - aliases
    assert columns <= tables[table], f"{where}: {columns - tables[table]} not in {table}"


def _provisioned(compose: dict[str, Any], service: str) -> list[str]:
    return [v.split(":")[0] for v in compose["services"][service].get("volumes", [])]


def test_the_monitoring_profile_provisions_the_mapping_rules_and_dashboards() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yaml").read_text())
    assert "./docker/statsd-exporter/mapping.yml" in _provisioned(compose, "statsd-exporter")
    assert "./docker/prometheus/alerts.yml" in _provisioned(compose, "prometheus")
    assert {"./docker/grafana/dashboards", "./docker/grafana/dashboards.yaml"} <= set(
        _provisioned(compose, "grafana")
    )
    prometheus = yaml.safe_load((REPO / "docker" / "prometheus" / "prometheus.yml").read_text())
    assert prometheus["rule_files"] == ["/etc/prometheus/alerts.yml"]
    sources = yaml.safe_load((REPO / "docker" / "grafana" / "datasources.yaml").read_text())
    uids = {source["uid"] for source in sources["datasources"]}
    used = {
        t["datasource"]["uid"] for board in DASHBOARDS.values() for p in board["panels"] for t in p["targets"]
    }
    assert used <= uids


def test_the_readme_table_lists_every_metric_once() -> None:
    readme = (REPO / "README.md").read_text()
    listed = re.findall(r"^\| `(ai_etl\.[a-z_.]+)` \| `([a-z_]+)` \|", readme, flags=re.MULTILINE)
    assert sorted(name for name, _ in listed) == sorted(METRICS)
    for name, prometheus in listed:
        assert SERIES_BY_NAME[prometheus].name == name, f"README: {prometheus} is not what {name} becomes"
