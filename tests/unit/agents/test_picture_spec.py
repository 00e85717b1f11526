"""A schema read from a picture becomes CREATE TABLE steps in foreign-key order; names and types
that cannot be SQL are errors naming them."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlglot

from airflow_ai_etl.agents.picture_spec import PictureError, spec_from_picture
from airflow_ai_etl.agents.vision import PictureSchema


def schema() -> PictureSchema:
    data = {
        "tables": [
            {
                "name": "order_lines",
                "columns": [
                    {"name": "id", "type": "bigint", "primary_key": True},
                    {"name": "order_id", "type": "bigint", "nullable": False},
                    {"name": "amount", "type": "numeric(12,2)"},
                ],
                "foreign_keys": [
                    {"columns": ["order_id"], "references_table": "orders", "references_columns": ["id"]}
                ],
            },
            {
                "name": "orders",
                "columns": [
                    {"name": "id", "type": "bigint", "primary_key": True},
                    {"name": "placed", "type": "timestamp"},
                ],
            },
        ]
    }
    return PictureSchema.model_validate(data)


def test_tables_become_create_steps_referenced_first() -> None:
    spec = spec_from_picture(
        schema(),
        conn_id="shop_pg",
        dialect="postgres",
        dag_id="diagram",
        db_schema="public",
        today=dt.date(2026, 1, 1),
    )
    assert [s.id for s in spec.steps] == ["create_orders", "create_order_lines"]
    assert spec.steps[1].depends_on == ["create_orders"]
    create = sqlglot.parse_one(spec.steps[1].sql, read="postgres")
    assert create.key == "create"
    sql = spec.steps[1].sql.upper()
    assert "PUBLIC.ORDER_LINES" in sql and "REFERENCES PUBLIC.ORDERS (ID)" in sql
    assert "ORDER_ID BIGINT NOT NULL" in sql and "PRIMARY KEY (ID)" in sql


def test_a_type_that_is_not_sql_names_table_column_and_type() -> None:
    bad = schema().model_copy(deep=True)
    bad.tables[1].columns[1].type = "a moment in time"
    with pytest.raises(PictureError, match=r"orders\.placed: 'a moment in time' is not a SQL type"):
        spec_from_picture(bad, conn_id="shop_pg", dialect="postgres", dag_id="diagram")


def test_a_name_that_is_not_an_identifier_is_refused() -> None:
    bad = schema().model_copy(deep=True)
    bad.tables[1].name = "orders; DROP TABLE x"
    with pytest.raises(PictureError, match="is not a plain SQL name"):
        spec_from_picture(bad, conn_id="shop_pg", dialect="postgres", dag_id="diagram")
