"""Character n-gram TF-IDF vectors and an inverted index for cosine similarity."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

__all__ = ["NgramIndex", "ngram_counts"]

MIN_N = 3
MAX_N = 5


def ngram_counts(text: str) -> Counter[str]:
    """Character 3–5-grams of each word padded with spaces, plus the whole word."""
    grams: Counter[str] = Counter()
    for word in text.split():
        padded = f" {word} "
        grams["w:" + word] += 1
        for n in range(MIN_N, MAX_N + 1):
            for i in range(len(padded) - n + 1):
                grams[padded[i : i + n]] += 1
    return grams


class NgramIndex:
    """Cosine similarity of a query against every document, via an inverted index."""

    def __init__(self, documents: Sequence[str]) -> None:
        counts = [ngram_counts(d) for d in documents]
        df: Counter[str] = Counter()
        for c in counts:
            df.update(c.keys())
        total = len(documents) + 1
        self._idf = {g: math.log(total / (1 + f)) + 1.0 for g, f in df.items()}
        self._default_idf = math.log(total) + 1.0
        self._postings: dict[str, list[tuple[int, float]]] = {}
        self.size = len(documents)
        for doc_id, c in enumerate(counts):
            vec = self._weigh(c)
            for gram, weight in vec.items():
                self._postings.setdefault(gram, []).append((doc_id, weight))

    def _weigh(self, counts: Counter[str]) -> dict[str, float]:
        vec = {g: (1.0 + math.log(n)) * self._idf.get(g, self._default_idf) for g, n in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {g: v / norm for g, v in vec.items()}

    def scores(self, text: str) -> list[float]:
        """Cosine similarity of ``text`` with each document, in document order."""
        out = [0.0] * self.size
        for gram, weight in self._weigh(ngram_counts(text)).items():
            for doc_id, doc_weight in self._postings.get(gram, ()):
                out[doc_id] += weight * doc_weight
        return out
