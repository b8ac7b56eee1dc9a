"""Phrase terms matched on lemmas: ``кормить грудь`` (any form of each word), ``оплат*`` (any word
starting so) or ``=картой`` (exactly this surface form: «картой» is payment, «на карте» is a map)."""

from __future__ import annotations

from functools import lru_cache

import msgspec

from config.text.analyse import Analysed, TextAnalyser

__all__ = ["MAX_GAP", "Term", "compile_term", "find_term"]

MAX_GAP = 2


class Term(msgspec.Struct, frozen=True):
    """One phrase: a word is ``(text, mode)`` with mode ``lemma``, ``prefix`` or ``surface``."""

    source: str
    words: tuple[tuple[str, str], ...]


def compile_term(phrase: str, analyser: TextAnalyser) -> Term:
    words: list[tuple[str, str]] = []
    for raw in phrase.split():
        if raw.endswith("*") and len(raw) > 1:
            words.append((analyser.analyse(raw[:-1]).text, "prefix"))
        elif raw.startswith("=") and len(raw) > 1:
            words.extend((w, "surface") for w in analyser.analyse(raw[1:]).tokens)
        else:
            words.extend((w, "lemma") for w in analyser.analyse(raw).lemmas)
    return Term(source=phrase, words=tuple(w for w in words if w[0]))


class _Positions:
    """Where each surface form and lemma of one message occurs (built once per message)."""

    def __init__(self, tokens: tuple[str, ...], lemmas: tuple[str, ...]) -> None:
        self.tokens = tokens
        self.lemmas = lemmas
        self.surface: dict[str, list[int]] = {}
        self.both: dict[str, list[int]] = {}
        for i, (tok, lem) in enumerate(zip(tokens, lemmas, strict=True)):
            self.surface.setdefault(tok, []).append(i)
            self.both.setdefault(tok, []).append(i)
            if lem != tok:
                self.both.setdefault(lem, []).append(i)
        self._prefix: dict[str, list[int]] = {}

    def of(self, word: str, mode: str) -> list[int]:
        if mode == "surface":
            return self.surface.get(word, [])
        if mode == "lemma":
            return self.both.get(word, [])
        found = self._prefix.get(word)
        if found is None:
            found = [
                i
                for i, (t, lem) in enumerate(zip(self.tokens, self.lemmas, strict=True))
                if t.startswith(word) or lem.startswith(word)
            ]
            self._prefix[word] = found
        return found


@lru_cache(maxsize=512)
def _positions(tokens: tuple[str, ...], lemmas: tuple[str, ...]) -> _Positions:
    return _Positions(tokens, lemmas)


def _units(term: Term) -> list[tuple[tuple[str, str], ...]]:
    """Words of a term grouped into units: «не» stays glued to the word after it."""
    units: list[tuple[tuple[str, str], ...]] = []
    pending: list[tuple[str, str]] = []
    for word in term.words:
        pending.append(word)
        if word != ("не", "lemma"):
            units.append(tuple(pending))
            pending = []
    if pending:
        units.append(tuple(pending))
    return units


def _unit_starts(where: _Positions, unit: tuple[tuple[str, str], ...]) -> list[int]:
    first = where.of(*unit[0])
    if len(unit) == 1:
        return first
    rest = [set(where.of(w, m)) for w, m in unit[1:]]
    return [j for j in first if all(j + 1 + k in r for k, r in enumerate(rest))]


def find_term(term: Term, message: Analysed) -> tuple[int, int] | None:
    """Span of the first occurrence: all of the term's words within a short window, in any order
    (Russian word order is free), except that «не» must directly precede the word it negates."""
    if not term.words:
        return None
    where = _positions(message.tokens, message.lemmas)
    starts = [(unit, _unit_starts(where, unit)) for unit in _units(term)]
    if any(not found for _, found in starts):
        return None
    width = len(term.words) + MAX_GAP
    candidates = sorted({j for _, found in starts for j in found})
    for start in candidates:
        used: set[int] = set()
        end = start
        for unit, found in starts:
            spot = next((j for j in found if start <= j < start + width and j not in used), None)
            if spot is None:
                break
            used.update(range(spot, spot + len(unit)))
            end = max(end, spot + len(unit))
        else:
            return start, end
    return None
