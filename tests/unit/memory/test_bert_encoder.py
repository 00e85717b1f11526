"""The direct BERT encoder: the same vectors as sentence-transformers, and the embedder's choice of it."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pytest

from airflow_ai_etl.memory import embeddings
from airflow_ai_etl.memory.bert_encoder import BertEncoder
from airflow_ai_etl.memory.embeddings import DIMENSION, Embedder, default_embedder

TEXTS = [
    "copy every paid order from the shop database into the warehouse each night at 2",
    "orders",
    "customer_id",
    "  Région  Nord-Est ",  # stripped like sentence-transformers; accents and case through the tokenizer
    "",
    "total amount per region_name from sales, only where status = 'refunded' and amount >= 100.50",
    "word " * 400,  # over the model's 256 tokens: truncated the same way
]


@pytest.fixture(scope="module")
def model() -> Any:
    embedder = default_embedder()
    assert embedder.mode == "semantic"
    return embedder._model


def _reference(model: Any, texts: list[str]) -> np.ndarray:
    return model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)


def test_float32_vectors_equal_sentence_transformers(model: Any) -> None:
    direct = BertEncoder.from_model(model, "float32")
    assert direct is not None
    batched = direct.encode(TEXTS)  # one padded batch: the mask keeps padding out
    one_by_one = np.vstack([direct.encode([text]) for text in TEXTS])
    expected = _reference(model, TEXTS)
    assert batched.dtype == np.float32 and batched.shape == (len(TEXTS), DIMENSION)
    assert np.abs(batched - expected).max() < 1e-5
    assert np.abs(one_by_one - expected).max() < 1e-5


def test_bfloat16_vectors_stay_in_the_same_space(model: Any) -> None:
    direct = BertEncoder.from_model(model, "bfloat16")
    assert direct is not None
    vectors = direct.encode(TEXTS)
    expected = _reference(model, TEXTS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert float((vectors * expected).sum(axis=1).min()) > 0.999
    # nearest neighbours are what float32 says they are
    assert np.array_equal(
        (vectors @ vectors.T).argsort(axis=1)[:, -2], (expected @ expected.T).argsort(axis=1)[:, -2]
    )


def test_other_architectures_are_declined(model: Any) -> None:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    cls_pooled = SentenceTransformer(modules=[model[0], Pooling(DIMENSION, pooling_mode="cls")], device="cpu")
    assert BertEncoder.from_model(cls_pooled, "float32") is None


def test_embedder_encodes_directly_in_the_chosen_precision(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(embeddings.PRECISION_ENV, "float32")
    embedder = Embedder()
    vectors = embedder.encode(TEXTS[:3])
    assert embedder._direct is not None and embedder._direct.precision == "float32"
    assert np.abs(vectors - _reference(embedder._model, TEXTS[:3])).max() < 1e-5


def test_unknown_precision_is_named_and_auto_is_used(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(embeddings.PRECISION_ENV, "float8")
    with caplog.at_level(logging.WARNING, logger="airflow_ai_etl.memory.embeddings"):
        embedder = Embedder()
        embedder.encode(["orders"])
    assert any("AI_ETL_EMBEDDING_PRECISION='float8'" in r.getMessage() for r in caplog.records)
    assert embedder._direct is not None and embedder._direct.precision in ("float32", "bfloat16")


def test_a_disagreeing_direct_encoder_is_not_used(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    original = BertEncoder.encode

    def shifted(self: BertEncoder, texts: Any, batch_size: int = 64) -> np.ndarray:
        vectors = original(self, texts, batch_size)
        return np.roll(vectors, 1, axis=1)  # a wrong vector of the right shape and norm

    monkeypatch.setattr(BertEncoder, "encode", shifted)
    with caplog.at_level(logging.WARNING, logger="airflow_ai_etl.memory.embeddings"):
        embedder = Embedder()
        vectors = embedder.encode(TEXTS[:2])
    assert embedder._direct is None
    assert any("disagrees with sentence-transformers" in r.getMessage() for r in caplog.records)
    assert np.abs(vectors - _reference(embedder._model, TEXTS[:2])).max() < 1e-6


def test_a_failing_direct_encoder_keeps_the_model(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(cls: type[BertEncoder], model: Any, precision: str) -> BertEncoder:
        raise KeyError("embeddings.token_type_embeddings.weight")  # a BERT variant's missing weight

    monkeypatch.setattr(BertEncoder, "from_model", classmethod(broken))
    with caplog.at_level(logging.WARNING, logger="airflow_ai_etl.memory.embeddings"):
        embedder = Embedder()
        vectors = embedder.encode(TEXTS[:2])
    assert embedder.mode == "semantic" and embedder._direct is None
    assert any("Direct" in r.getMessage() and "KeyError" in r.getMessage() for r in caplog.records)
    assert np.abs(vectors - _reference(embedder._model, TEXTS[:2])).max() < 1e-6
