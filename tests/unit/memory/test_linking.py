"""Schema linking by meaning, and the vector index under it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table
from airflow_ai_etl.memory import vectors
from airflow_ai_etl.memory.embeddings import DIMENSION, lexical_vectors
from airflow_ai_etl.memory.linking import (
    COLUMN_THRESHOLD,
    TABLE_THRESHOLD,
    Link,
    LinkError,
    choose,
    identifier_words,
    link_columns,
    link_tables,
    table_index,
)
from airflow_ai_etl.memory.vectors import IndexFileError, VectorIndex


def _catalog(conn_id: str = "hr") -> SchemaCatalog:
    def table(name: str, *columns: tuple[str, str]) -> Table:
        return Table(name=name, schema_name="people", columns=[Column(name=n, type=t) for n, t in columns])

    return SchemaCatalog(
        conn_id=conn_id,
        dialect="postgres",
        tables=[
            table("staffMembers", ("staff_id", "integer"), ("hired_on", "date"), ("grossPay", "numeric")),
            table("departments", ("dept_id", "integer"), ("dept_name", "text")),
            table("office_locations", ("office_id", "integer"), ("city", "text")),
        ],
    )


@pytest.mark.parametrize(
    ("name", "words"),
    [("orderItems", "order items"), ("ORDER_ITEMS", "order items"), ("amt_usd", "amount usd"), ("id", "id")],
)
def test_identifier_words(name: str, words: str) -> None:
    assert identifier_words(name) == words


def test_tables_link_by_meaning_and_exact_names_score_one() -> None:
    catalog = _catalog()
    best = link_tables("employees", [catalog])[0]
    assert (best.table, best.column) == ("people.staffMembers", None)
    assert best.score >= TABLE_THRESHOLD
    assert link_tables("office location", [catalog])[0].score == 1.0


def test_columns_link_with_a_type_filter() -> None:
    catalog = _catalog()
    table = catalog.tables[0]
    salary = link_columns("salary", catalog, table, accept=lambda c: c.type == "numeric")
    assert [link.column for link in salary] == ["grossPay"]
    when = link_columns("hired", catalog, table)[0]
    assert when.column == "hired_on" and when.score >= COLUMN_THRESHOLD


def _link(table: str, score: float) -> Link:
    return Link("word", "c", table, None, score)


def test_choose_refuses_weak_and_tied_links_listing_candidates() -> None:
    assert choose([_link("a", 0.8), _link("b", 0.5)], threshold=0.5, what="table").table == "a"
    with pytest.raises(LinkError, match=r"no table is close enough.*c:a \(0.40\)") as weak:
        choose([_link("a", 0.4)], threshold=0.5, what="table")
    assert [c.table for c in weak.value.candidates] == ["a"]
    with pytest.raises(LinkError, match=r"could be more than one table: c:a \(0.70\), c:b \(0.69\)"):
        choose([_link("a", 0.7), _link("b", 0.69)], threshold=0.5, what="table")
    with pytest.raises(LinkError, match="best candidates: none"):
        choose([], threshold=0.5, what="table")


def test_the_table_index_is_shared_by_equal_catalogs() -> None:
    assert table_index(_catalog()) is table_index(_catalog())
    assert table_index(_catalog()) is not table_index(_catalog("other"))


def test_vector_index_flat_then_hnsw(monkeypatch: pytest.MonkeyPatch) -> None:
    data = lexical_vectors([f"pipeline number {i}" for i in range(50)])
    flat = VectorIndex.build(data)
    assert flat.kind == "flat"
    scores, ids = flat.search(data[7:8], 3)
    assert ids[0][0] == 7 and scores[0][0] == pytest.approx(1.0, abs=1e-5)
    monkeypatch.setattr(vectors, "FLAT_LIMIT", 10)
    hnsw = VectorIndex.build(data)
    assert hnsw.kind == "hnsw"
    assert hnsw.search(data[7:8], 3)[1][0][0] == 7


def test_vector_index_files_round_trip_and_damage_is_an_error(tmp_path: Path) -> None:
    data = lexical_vectors(["a b", "c d"])
    path = tmp_path / "idx.faiss"
    VectorIndex.build(data).save(path)
    assert len(VectorIndex.load(path)) == 2
    path.write_bytes(b"not an index")
    with pytest.raises(IndexFileError, match="unreadable"):
        VectorIndex.load(path)
    with pytest.raises(IndexFileError, match="no index file"):
        VectorIndex.load(tmp_path / "missing.faiss")
    with pytest.raises(ValueError, match=f"shape \\(n, {DIMENSION}\\)"):
        VectorIndex.build(np.zeros((2, 3), dtype=np.float32))
