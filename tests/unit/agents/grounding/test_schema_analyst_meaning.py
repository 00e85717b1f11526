"""The schema analyst ranks by meaning where the request's words are not the tables' names."""

from __future__ import annotations

from airflow_ai_etl.agents.schema_analyst import select_schema
from tests.support.catalogs import generated_catalog


def test_synonyms_reach_the_tables_they_mean() -> None:
    catalog = generated_catalog()
    selection = select_schema("every night copy the parcels sent for purchases to the warehouse", [catalog])
    top = [t.name for t in selection.tables[:10]]
    assert "sales.shipments" in top
    shipments = next(t for t in selection.tables if t.name == "sales.shipments")
    assert any("'parcel' by meaning" in reason for reason in shipments.reasons)


def test_names_said_outright_keep_their_lead() -> None:
    catalog = generated_catalog()
    selection = select_schema("copy invoice lines into the warehouse", [catalog])
    assert selection.tables[0].name.endswith("invoice_lines")
