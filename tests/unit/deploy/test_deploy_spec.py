"""deploy_spec / rollback end to end on real rendered files: validate -> render -> check -> publish."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_ai_etl.catalog.connections import ConnectionInfo
from airflow_ai_etl.deploy import DeployError, deploy_spec, rollback
from airflow_ai_etl.render.dagfile import GENERATED_MARKER, read_header
from airflow_ai_etl.spec import PipelineSpec, load_spec, parse_spec, spec_hash
from airflow_ai_etl.validation import ValidationContext
from tests.unit.deploy.conftest import SHOP_CATALOG, spec_data


@pytest.fixture
def context() -> ValidationContext:
    return ValidationContext(
        connections={"shop": ConnectionInfo(conn_id="shop", conn_type="sqlite", dialect="sqlite")},
        catalogs={"shop": SHOP_CATALOG},
    )


def _spec(**changes: object) -> PipelineSpec:
    return parse_spec(spec_data(**changes))


def test_deploy_publishes_rendered_file_with_spec_beside_it(
    tmp_path: Path, context: ValidationContext
) -> None:
    spec = _spec()
    deployment = deploy_spec(spec, dags_folder=tmp_path, context=context)
    path = tmp_path / "ai_etl" / "orders_daily.py"
    assert deployment.path == path
    assert (deployment.dag_id, deployment.version, deployment.action) == ("orders_daily", 1, "deploy")
    assert deployment.spec_sha256 == spec_hash(spec)
    assert deployment.report is not None and deployment.report.ok
    source = path.read_text()
    assert source.startswith(GENERATED_MARKER)
    header = read_header(source)
    assert header is not None and header.spec_sha256 == spec_hash(spec)
    assert load_spec(tmp_path / "ai_etl" / "orders_daily.yaml") == spec
    # tmp_path is in no configured bundle: published anyway, and the result says why no parse was asked.
    assert not deployment.parse_requested
    assert "no configured DAG bundle" in deployment.message


def test_redeploying_the_same_spec_is_unchanged(tmp_path: Path, context: ValidationContext) -> None:
    deploy_spec(_spec(), dags_folder=tmp_path, context=context)
    again = deploy_spec(_spec(), dags_folder=tmp_path, context=context)
    assert (again.action, again.version, again.parse_requested) == ("unchanged", 1, False)
    assert "already live" in again.message


def test_invalid_spec_deploys_nothing_and_carries_the_report(
    tmp_path: Path, context: ValidationContext
) -> None:
    spec = _spec(conn_id="warehouse")  # not a connection Airflow knows
    with pytest.raises(DeployError) as raised:
        deploy_spec(spec, dags_folder=tmp_path, context=context)
    assert "failed validation" in raised.value.message
    report = raised.value.report
    assert report is not None and not report.ok
    assert "warehouse" in raised.value.details()
    assert not (tmp_path / "ai_etl").exists()


def test_invalid_new_version_keeps_the_live_one(tmp_path: Path, context: ValidationContext) -> None:
    deploy_spec(_spec(), dags_folder=tmp_path, context=context)
    live = (tmp_path / "ai_etl" / "orders_daily.py").read_text()
    with pytest.raises(DeployError):
        deploy_spec(_spec(sql="INSERT INTO orders_copy SELECT * FROM no_such_table"), dags_folder=tmp_path,
                    context=context)  # fmt: skip
    assert (tmp_path / "ai_etl" / "orders_daily.py").read_text() == live


def test_rollback_restores_the_previous_spec_and_file(
    tmp_path: Path, context: ValidationContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    emitted: list[tuple[str, str | None, dict[str, object]]] = []
    monkeypatch.setattr(
        "airflow_ai_etl.deploy.emit",
        lambda event_type, dag_id, **details: emitted.append((event_type, dag_id, details)),
    )
    first = _spec()
    deploy_spec(first, dags_folder=tmp_path, context=context, approver="ada")
    first_source = (tmp_path / "ai_etl" / "orders_daily.py").read_text()
    second = deploy_spec(
        _spec(description="now with a description"), dags_folder=tmp_path, context=context, approver="bob"
    )
    assert second.version == 2

    rolled = rollback("orders_daily", dags_folder=tmp_path, approver="cy")
    # Lifecycle events: who approved, what went live, what was rolled back to.
    assert [
        (kind, dag_id, details.get("user"), details.get("version")) for kind, dag_id, details in emitted
    ] == [
        ("pipeline.approved", "orders_daily", "ada", None),
        ("pipeline.deployed", "orders_daily", "ada", 1),
        ("pipeline.approved", "orders_daily", "bob", None),
        ("pipeline.deployed", "orders_daily", "bob", 2),
        ("pipeline.rolled_back", "orders_daily", "cy", 1),
    ]
    assert emitted[0][2]["spec_sha256"] == spec_hash(first) == emitted[-1][2]["spec_sha256"]
    assert (rolled.action, rolled.version, rolled.spec_sha256) == ("rollback", 1, spec_hash(first))
    assert rolled.report is None
    assert "rolled back to version 1" in rolled.message
    assert (tmp_path / "ai_etl" / "orders_daily.py").read_text() == first_source
    assert load_spec(tmp_path / "ai_etl" / "orders_daily.yaml") == first
