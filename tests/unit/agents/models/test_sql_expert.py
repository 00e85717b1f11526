"""The SQL expert with a scripted FunctionModel: SQL fields of a spec, writing and repairing, tools."""

from __future__ import annotations

import pytest
from pydantic_ai import Tool

from airflow_ai_etl.agents.llm import LLM, AgentCall
from airflow_ai_etl.agents.sql_expert import SqlTask, sql_fields, with_sql, write_sql
from airflow_ai_etl.spec import parse_spec
from airflow_ai_etl.validation.report import Finding, Severity


def test_sql_fields_name_the_fields_as_findings_do(make_spec_data) -> None:
    spec = parse_spec(make_spec_data())
    fields = sql_fields(spec)
    assert [(f.step_id, f.field, f.conn_id) for f in fields] == [
        ("load_orders", "source.sql", "shop_pg"),
        ("total", "sql", "dwh"),
    ]


def test_with_sql_replaces_one_statement_in_a_copy(make_spec_data) -> None:
    spec = parse_spec(make_spec_data())
    target = sql_fields(spec)[0]
    updated = with_sql(spec, target, "SELECT order_id FROM public.orders")
    assert sql_fields(updated)[0].sql == "SELECT order_id FROM public.orders"
    assert sql_fields(spec)[0].sql == target.sql  # the original is untouched
    with pytest.raises(ValueError, match="template marker"):
        with_sql(spec, target, "SELECT {{ ds }}")


def _task(shop_catalog, **kwargs) -> SqlTask:
    return SqlTask(
        step_id="load_orders",
        field="source.sql",
        conn_id="shop_pg",
        dialect="postgres",
        sql="SELECT order_id, customer_nam FROM public.orders",
        purpose="copy orders",
        catalog=shop_catalog,
        **kwargs,
    )


def test_repair_passes_findings_and_returns_the_statement(scripted, shop_catalog) -> None:
    finding = Finding(
        severity=Severity.ERROR,
        code="sql.unknown_column",
        message="column customer_nam does not exist",
        step_id="load_orders",
        field="source.sql",
    )
    model = scripted({"sql": "SELECT order_id, customer_id FROM public.orders"})
    sql = write_sql(
        LLM.from_model("sql_expert", model.model), _task(shop_catalog, findings=[finding]), AgentCall()
    )
    assert sql == "SELECT order_id, customer_id FROM public.orders"
    sent = model.prompt_text()
    assert "sql.unknown_column" in sent and "postgres" in sent and "customer_nam" in sent


def test_jinja_in_the_answer_is_sent_back(scripted, shop_catalog) -> None:
    model = scripted(
        {"sql": "SELECT * FROM public.orders WHERE updated_at > '{{ ds }}'"}, {"sql": "SELECT 1"}
    )
    call = AgentCall()
    assert write_sql(LLM.from_model("sql_expert", model.model), _task(shop_catalog), call) == "SELECT 1"
    assert call.usage.requests == 2


def test_tools_are_offered_and_their_results_reach_the_model(scripted, shop_catalog) -> None:
    looked_up: list[str] = []

    def columns_of(table: str) -> list[str]:
        """Columns of a table."""
        looked_up.append(table)
        return ["order_id", "customer_id"]

    def answer_after_tool(messages, info):
        assert [t.name for t in info.function_tools] == ["columns_of"]
        return {"sql": "SELECT order_id, customer_id FROM public.orders"}

    model = scripted(scripted.tool_call("columns_of", {"table": "public.orders"}), answer_after_tool)
    sql = write_sql(
        LLM.from_model("sql_expert", model.model), _task(shop_catalog), AgentCall(), tools=[Tool(columns_of)]
    )
    assert sql.endswith("FROM public.orders")
    assert looked_up == ["public.orders"]
    assert "customer_id" in model.prompt_text(1)
