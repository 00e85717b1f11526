"""The step-kind registry: a kind from outside the package plugs into every generic part, and a kind
that is incomplete or clashes is refused with a message naming it and what is wrong."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Literal

import pytest

from airflow_ai_etl.catalog.connections import ConnectionInfo
from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table
from airflow_ai_etl.evaluation.expectations import draft_facts
from airflow_ai_etl.render import render_dag
from airflow_ai_etl.render.layout import Call
from airflow_ai_etl.render.source import DagSource
from airflow_ai_etl.spec import SpecError, parse_spec, spec_json_schema
from airflow_ai_etl.spec.base import ConnId, StepBase, TableName
from airflow_ai_etl.steps import registry
from airflow_ai_etl.steps.base import Checking, EvalFacts, Kind, StepCheck, StepSql, TableUse
from airflow_ai_etl.store.diagrams import er_diagram, step_graph
from airflow_ai_etl.validation import Finding, Severity, ValidationContext, validate_spec
from airflow_ai_etl.validation.context import ValidationContext as Context


class ToyStep(StepBase):
    """Copy one table to another on the same connection."""

    kind: Literal["toy_copy"]
    conn_id: ConnId
    table: TableName
    into: TableName


class ToyKind(Kind[ToyStep]):
    name = "toy_copy"
    model = ToyStep
    imports = {"EmptyOperator": "airflow.providers.standard.operators.empty"}

    def connections(self, step: ToyStep) -> list[tuple[str, str]]:
        return [("conn_id", step.conn_id)]

    def check(self, step: ToyStep, checking: Checking) -> StepCheck:
        catalog = checking.catalog(step.conn_id)
        findings = []
        if catalog is not None and catalog.find_table(step.table) is None:
            findings.append(
                Finding(
                    severity=Severity.ERROR,
                    code="toy.unknown_table",
                    message=f"no table {step.table}",
                    step_id=step.id,
                    field="table",
                )
            )
        return StepCheck(findings=findings, use=self.tables(step, {}))

    def summary(self, step: ToyStep) -> str:
        return f"Copies {step.table} into {step.into}."

    def task_calls(self, step: ToyStep, src: DagSource, doc_md: str) -> list[Call]:
        return [src.call("EmptyOperator", task_id=step.id, doc_md=doc_md)]

    def tables(self, step: ToyStep, dialects: Mapping[str, str]) -> TableUse:
        return TableUse(reads=[(step.conn_id, step.table)], writes=[(step.conn_id, step.into)])

    def eval_facts(self, step: ToyStep) -> EvalFacts:
        return EvalFacts(modes=["replace"])

    def sql_fields(self, step: ToyStep) -> list[StepSql]:
        return []

    def set_sql(self, step: ToyStep, field: str, sql: str) -> None:
        raise KeyError(field)

    def read_queries(self, step: ToyStep, context: Context) -> list[StepSql]:
        return []


@pytest.fixture
def toy_kind() -> Iterator[None]:
    registry.register(ToyKind)
    yield
    registry.unregister("toy_copy")


DOCUMENT = {
    "dag_id": "toy",
    "start_date": "2026-01-01",
    "steps": [
        {"id": "copy", "kind": "toy_copy", "conn_id": "wh", "table": "public.orders", "into": "public.copy"},
        {
            "id": "check",
            "kind": "quality_check",
            "conn_id": "wh",
            "table": "public.copy",
            "checks": [{"check": "row_count"}],
        },
    ],
}
CATALOG = SchemaCatalog(
    conn_id="wh",
    dialect="postgres",
    default_schema="public",
    tables=[
        Table(name="orders", schema_name="public", columns=[Column(name="id", type="integer")]),
        Table(name="copy", schema_name="public", columns=[Column(name="id", type="integer")]),
    ],
)
CONTEXT = ValidationContext(
    connections={"wh": ConnectionInfo(conn_id="wh", conn_type="postgres", dialect="postgres")},
    catalogs={"wh": CATALOG},
)


def test_a_registered_kind_is_validated_rendered_diagrammed_and_evaluated(toy_kind: None) -> None:
    spec = parse_spec(DOCUMENT)
    assert isinstance(spec.steps[0], ToyStep)

    report = validate_spec(spec, CONTEXT)
    assert report.ok, report.findings
    # the second step reads what the toy step writes without depending on it: the graph sees the toy's writes
    assert [f.code for f in report.findings] == ["graph.missing_dependency"]
    missing = spec.model_copy(update={"steps": [spec.steps[0].model_copy(update={"table": "public.nope"})]})
    assert [f.code for f in validate_spec(missing, CONTEXT).findings] == ["toy.unknown_table"]

    source = render_dag(spec)
    assert "from airflow.providers.standard.operators.empty import EmptyOperator" in source
    assert "Copies public.orders into public.copy." in source
    ast.parse(source)

    er = er_diagram(spec, [CATALOG])
    assert [t["name"] for t in er["tables"]] == ["public.orders", "public.copy"]
    assert step_graph(spec)["nodes"][0]["kind"] == "toy_copy"

    facts = draft_facts(spec, {"wh": "postgres"})
    assert facts.step_kinds == ["quality_check", "toy_copy"]
    assert facts.tables == ["public.orders"] and facts.targets == ["public.copy"]
    assert facts.modes == ["replace"]


def test_unregistering_restores_the_spec(toy_kind: None) -> None:
    assert "toy_copy" in str(spec_json_schema())
    registry.unregister("toy_copy")
    try:
        with pytest.raises(SpecError, match="toy_copy"):
            parse_spec(DOCUMENT)
        assert "toy_copy" not in str(spec_json_schema())
    finally:
        registry.register(ToyKind)


def test_a_duplicate_kind_name_is_refused() -> None:
    class Again(ToyKind):
        name = "sql"

    with pytest.raises(registry.KindError, match=r"step kind 'sql' \(Again\).*already registered"):
        registry.register(Again)


def test_a_kind_missing_a_capability_names_it() -> None:
    class Half(Kind[ToyStep]):
        name = "toy_copy"
        model = ToyStep
        imports: dict[str, str] = {}

        def connections(self, step: ToyStep) -> list[tuple[str, str]]:
            return []

    with pytest.raises(registry.KindError, match=r"step kind 'toy_copy' \(Half\).*missing.*check.*summary"):
        registry.register(Half)
    assert "toy_copy" not in {k.name for k in registry.kinds()}


def test_a_kind_whose_model_does_not_match_is_refused() -> None:
    class Renamed(ToyKind):
        name = "toy_other"

    with pytest.raises(registry.KindError, match=r"'toy_other'.*ToyStep does not declare"):
        registry.register(Renamed)


def test_a_kind_importing_a_taken_name_from_elsewhere_is_refused() -> None:
    class Clash(ToyKind):
        imports = {"TransferOperator": "somewhere.else"}

    with pytest.raises(registry.KindError, match=r"TransferOperator from somewhere\.else"):
        registry.register(Clash)


def test_built_in_kinds_cannot_be_unregistered() -> None:
    with pytest.raises(registry.KindError, match="'transfer' is built in"):
        registry.unregister("transfer")
