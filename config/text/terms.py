"""Phrase terms matched on lemmas: ``кормить грудь`` (any form of each word), ``оплат*`` (any word
starting so) or ``=картой`` (exactly this surface form: «картой» is payment, «на карте» is a map)."""

from __future__ import annotations

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


def _word_at(message: Analysed, i: int, word: str, mode: str) -> bool:
    token, lem = message.tokens[i], message.lemmas[i]
    if mode == "prefix":
        return token.startswith(word) or lem.startswith(word)
    if mode == "surface":
        return token == word
    return token == word or lem == word


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


def _unit_at(message: Analysed, j: int, unit: tuple[tuple[str, str], ...]) -> bool:
    if j + len(unit) > len(message.tokens):
        return False
    return all(_word_at(message, j + k, w, p) for k, (w, p) in enumerate(unit))


def find_term(term: Term, message: Analysed) -> tuple[int, int] | None:
    """Span of the first occurrence: all of the term's words within a short window, in any order
    (Russian word order is free), except that «не» must directly precede the word it negates."""
    if not term.words:
        return None
    units = _units(term)
    n = len(message.tokens)
    width = len(term.words) + MAX_GAP
    for start in range(n):
        if not any(_unit_at(message, start, u) for u in units):
            continue
        used: set[int] = set()
        end = start
        for unit in units:
            spot = next(
                (
                    j
                    for j in range(start, min(n, start + width))
                    if j not in used and _unit_at(message, j, unit)
                ),
                None,
            )
            if spot is None:
                break
            used.update(range(spot, spot + len(unit)))
            end = max(end, spot + len(unit))
        else:
            return start, end
    return None
