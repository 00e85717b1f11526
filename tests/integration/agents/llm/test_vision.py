"""Schemas from a picture over HTTP: `ai-etl generate --image` (run in-process) sends a real PNG as
an image part to the scripted vision model, whose typed answer becomes validated CREATE TABLE steps."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from airflow_ai_etl.cli import main
from tests.support import scripted_llm as llm
from tests.support.png import write_png

pytestmark = pytest.mark.integration

DIAGRAM = {
    "tables": [
        {
            "name": "supplier_products",
            "columns": [
                {"name": "supplier_id", "type": "integer", "primary_key": True},
                {"name": "sku", "type": "varchar(40)", "primary_key": True},
                {"name": "price", "type": "numeric(12,2)", "nullable": False},
            ],
            "foreign_keys": [
                {"columns": ["supplier_id"], "references_table": "suppliers", "references_columns": ["id"]}
            ],
        },
        {
            "name": "suppliers",
            "columns": [
                {"name": "id", "type": "integer", "primary_key": True},
                {"name": "name", "type": "text", "nullable": False},
            ],
        },
    ]
}


def _image_parts(body: dict[str, Any]) -> list[str]:
    """The data URLs of the image parts of a Chat Completions request."""
    return [
        part["image_url"]["url"]
        for message in body.get("messages", [])
        if isinstance(message.get("content"), list)
        for part in message["content"]
        if part.get("type") == "image_url"
    ]


def test_generate_image_sends_the_png_and_drafts_create_table_steps(
    shop: Any, scripted_llm: Any, llm_config: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    llm_config()
    png = write_png(tmp_path / "er.png")
    seen: list[str] = []

    def vision(body: dict[str, Any]) -> llm.Reply:
        seen.extend(_image_parts(body))
        return llm.output(DIAGRAM) if seen else llm.text("no image was sent")

    scripted_llm.script(vision)
    out = tmp_path / "drafts"
    code = main([
        "generate", "create the tables of this diagram", "--image", str(png), "--conn", "shop_pg",
        "--dag-id", "supplier_tables", "--out", str(out),
    ])  # fmt: skip

    assert code == 0, capsys.readouterr().err
    assert seen == ["data:image/png;base64," + base64.b64encode(png.read_bytes()).decode()]
    spec = (out / "supplier_tables.yaml").read_text()
    assert spec.index("id: create_suppliers") < spec.index("id: create_supplier_products")
    assert "REFERENCES public.suppliers (id)" in spec
    assert "SqlStatementOperator" in (out / "supplier_tables.py").read_text()


def test_tables_that_already_exist_are_findings_not_a_deploy(
    shop: Any, scripted_llm: Any, llm_config: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    llm_config()
    existing = {"tables": [{"name": "customers", "columns": [{"name": "id", "type": "integer"}]}]}
    scripted_llm.script(llm.output(existing))
    dags = tmp_path / "dags"
    dags.mkdir()
    code = main([
        "generate", "tables", "--image", str(write_png(tmp_path / "er.png")), "--conn", "shop_pg",
        "--out", str(tmp_path / "drafts"), "--deploy", "--dags-folder", str(dags),
    ])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert "customers" in err and "nothing deployed" in err
    assert list(dags.iterdir()) == []


def test_not_an_image_and_too_large_are_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "er.png"
    text.write_text("tables: orders, customers")
    assert main(["generate", "tables", "--image", str(text), "--conn", "shop_pg"]) == 2
    assert "--image" in (err := capsys.readouterr().err) and "is not a PNG or JPEG image" in err

    monkeypatch.setenv("AIRFLOW__AI_ETL__IMAGE_MAX_MB", "0.001")
    big = write_png(tmp_path / "big.png", 400, 400)
    assert main(["generate", "tables", "--image", str(big), "--conn", "shop_pg"]) == 2
    assert "images up to 1.0 KiB are accepted ([ai_etl] image_max_mb)" in capsys.readouterr().err


def test_the_vision_call_is_an_agent_call_cached_counted_and_metered(
    shop: Any, scripted_llm: Any, llm_config: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through run_agent like every agent: the same diagram again is answered by the LLM cache, and
    the call's usage and its metrics are recorded under the vision agent."""
    from airflow_ai_etl.agents.from_picture import generate_from_picture
    from airflow_ai_etl.agents.images import read_image_file
    from airflow_ai_etl.observability import metrics

    llm_config()
    scripted_llm.script(llm.output(DIAGRAM))
    image = read_image_file(write_png(tmp_path / "er.png"))
    observed: list[Any] = []
    monkeypatch.setattr(metrics, "llm_call", observed.append)
    first = generate_from_picture(image, "the tables", shop, dag_id="supplier_tables")
    again = generate_from_picture(image, "the tables", shop, dag_id="supplier_tables")

    assert first.ok and again.ok, (first.reason, again.reason)
    assert len(scripted_llm.requests) == 1  # the second reading came from the cache
    assert {u.agent: u.requests for u in first.usage} == {"vision": 1}
    assert {u.agent: u.cache_hits for u in again.usage} == {"vision": 1}
    assert [(c.agent, c.cache_tier) for c in observed] == [("vision", None), ("vision", "exact")]
    assert "answer from the LLM cache" in [e for e in again.events if e.agent == "vision"][-1].message


def test_a_rejected_key_is_a_failed_reading_not_a_crash(
    shop: Any, scripted_llm: Any, llm_config: Any, tmp_path: Path
) -> None:
    from airflow_ai_etl.agents.from_picture import generate_from_picture
    from airflow_ai_etl.agents.images import read_image_file

    llm_config()
    scripted_llm.script(llm.http_error(401, "invalid api key"))
    image = read_image_file(write_png(tmp_path / "er.png"))

    result = generate_from_picture(image, "the tables", shop)

    assert not result.ok and result.reason is not None
    assert result.reason.startswith(f"the vision model could not read {image.name}: ")
    assert "401" in result.reason or "rejected" in result.reason
    assert [e.level for e in result.events if e.agent == "vision"][-1] == "error"
