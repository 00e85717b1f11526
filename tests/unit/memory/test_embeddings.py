"""The packaged embedding model, its lazy loading and the lexical fallback."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from airflow_ai_etl.memory.embeddings import DIMENSION, Embedder, default_embedder, encode, lexical_vectors


def _cos(vectors: np.ndarray, a: int, b: int) -> float:
    return float(vectors[a] @ vectors[b])


def test_semantic_vectors_are_normalised_float32_and_carry_meaning() -> None:
    vectors = encode(["customers", "clients", "invoice lines", "revenue", "amount", "colour"])
    assert default_embedder().mode == "semantic"
    assert vectors.dtype == np.float32
    assert vectors.shape == (6, DIMENSION)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # synonyms without shared spelling are nearer than unrelated words
    assert _cos(vectors, 0, 1) > _cos(vectors, 0, 2)
    assert _cos(vectors, 3, 4) > _cos(vectors, 3, 5)


def test_missing_model_degrades_to_lexical_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    embedder = Embedder(model_path=tmp_path / "nowhere")
    with caplog.at_level(logging.WARNING, logger="airflow_ai_etl.memory.embeddings"):
        first = embedder.encode(["order_items", "orderItems", "shipments"])
        embedder.encode(["again"])
    assert embedder.mode == "lexical"
    assert embedder.name != "all-MiniLM-L6-v2"
    assert len([r for r in caplog.records if "lexical" in r.getMessage()]) == 1
    assert first.shape == (3, DIMENSION)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    # snake_case and camelCase spellings of one name meet; an unrelated name does not
    assert _cos(first, 0, 1) == pytest.approx(1.0, abs=1e-5)
    assert _cos(first, 0, 2) < 0.5


def test_forced_lexical_mode_skips_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AI_ETL_EMBEDDINGS", "lexical")
    embedder = Embedder()
    assert np.array_equal(embedder.encode(["payments"]), lexical_vectors(["payments"]))
    assert embedder.mode == "lexical"


def test_edge_inputs() -> None:
    embedder = Embedder(model_path=Path("/nonexistent"))
    assert embedder.encode([]).shape == (0, DIMENSION)
    assert not embedder.encode([""]).any()
    with pytest.raises(TypeError, match="sequence of texts"):
        embedder.encode("one string")  # type: ignore[arg-type]


def test_import_does_not_load_torch() -> None:
    code = (
        "import sys, airflow_ai_etl.memory.embeddings as e; e.Embedder();"
        "sys.exit(1 if 'torch' in sys.modules or 'sentence_transformers' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
