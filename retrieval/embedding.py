"""The offline default embedding: hashed character n-grams of lemmas, no network, microseconds.

Documents are embedded with sublinear term frequency only, so a chunk's vector never depends on
the rest of the corpus (an incremental sync re-embeds only what changed). Queries are weighted by
the inverse document frequency of the tenant's own chunks (``fit``), which makes the dot product a
TF-IDF score. Both vectors are L2-normalised; each feature lands in one of ``dim`` buckets (a stable
CRC32 hash) with a hashed sign, so collisions cancel out instead of piling up.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from llama_index.core.embeddings import BaseEmbedding
from pydantic import PrivateAttr

from config.text.analyse import TextAnalyser
from retrieval.features import feature_counts

__all__ = ["DEFAULT_DIM", "WORD_WEIGHT", "HashedNgramEmbedding"]

DEFAULT_DIM = 1024
WORD_WEIGHT = 2.0  # a whole-lemma match counts as much as two extra n-grams
_SLOTS: dict[str, tuple[int, float]] = {}


def _slot(gram: str, dim: int) -> tuple[int, float]:
    key = f"{dim}|{gram}"
    found = _SLOTS.get(key)
    if found is None:
        h = zlib.crc32(gram.encode("utf-8"))
        found = (h % dim, -1.0 if (h >> 31) & 1 else 1.0)
        if len(_SLOTS) < 2_000_000:
            _SLOTS[key] = found
    return found


class HashedNgramEmbedding(BaseEmbedding):
    """Deterministic dense vectors from ``config.text`` features; one instance per tenant pack."""

    _dim: int = PrivateAttr(default=DEFAULT_DIM)
    _analyser: TextAnalyser = PrivateAttr()
    _stopwords: tuple[str, ...] = PrivateAttr(default=())
    _idf: dict[str, float] = PrivateAttr(default_factory=dict)
    _default_idf: float = PrivateAttr(default=1.0)

    def __init__(
        self, analyser: TextAnalyser, *, stopwords: Iterable[str] = (), dim: int = DEFAULT_DIM
    ) -> None:
        super().__init__(model_name=f"truffles-hashed-ngrams-{dim}", embed_batch_size=256)
        self._dim = dim
        self._analyser = analyser
        self._stopwords = tuple(stopwords)

    @classmethod
    def class_name(cls) -> str:
        return "HashedNgramEmbedding"

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def signature(self) -> str:
        """Names the vector space: a collection built with another signature must be rebuilt."""
        return f"hashed-ngrams-v1-{self.dim}"

    def fit(self, texts: Sequence[str]) -> HashedNgramEmbedding:
        """Learn query-side IDF from the tenant's own chunks; returns ``self``."""
        df: Counter[str] = Counter()
        for text in texts:
            df.update(self.features(text).keys())
        total = len(texts) + 1
        self._idf = {g: math.log(total / (1 + n)) + 1.0 for g, n in df.items()}
        self._default_idf = math.log(total) + 1.0
        return self

    def word_weight(self, lemma: str) -> float:
        """IDF of a whole lemma in the fitted corpus (1.0 before ``fit``)."""
        return self._idf.get(f"w:{lemma}", self._default_idf) if self._idf else 1.0

    def features(self, text: str) -> Counter[str]:
        return feature_counts(text, self._analyser, self._stopwords)

    def weigh(self, counts: Counter[str], *, idf: bool) -> dict[str, float]:
        """Feature weights before hashing (sublinear TF, times IDF for queries)."""
        out: dict[str, float] = {}
        for gram, n in counts.items():
            w = 1.0 + math.log(n)
            if gram.startswith("w:"):
                w *= WORD_WEIGHT
            if idf and self._idf:
                w *= self._idf.get(gram, self._default_idf)
            out[gram] = w
        return out

    def vector(self, weights: dict[str, float]) -> list[float]:
        vec = np.zeros(self.dim, dtype=np.float32)
        for gram, w in weights.items():
            i, sign = _slot(gram, self.dim)
            vec[i] += sign * w
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:
            vec[0] = 1e-6  # an empty text still needs a valid (non-zero) vector for cosine search
            return list(vec.tolist())
        return list((vec / norm).tolist())

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.vector(self.weigh(self.features(text), idf=False))

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.vector(self.weigh(self.features(query), idf=True))

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)
