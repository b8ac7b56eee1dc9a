"""Phrase terms matched on lemmas: ``оплат*`` (prefix) or ``кормить грудь`` (in order)."""

from __future__ import annotations

import msgspec

from config.text.analyse import Analysed, TextAnalyser

__all__ = ["MAX_GAP", "Term", "compile_term", "find_term"]

MAX_GAP = 2


class Term(msgspec.Struct, frozen=True):
    """One phrase: a word is ``(text, is_prefix)``; exact words compare to surface and lemma."""

    source: str
    words: tuple[tuple[str, bool], ...]


def compile_term(phrase: str, analyser: TextAnalyser) -> Term:
    words: list[tuple[str, bool]] = []
    for raw in phrase.split():
        if raw.endswith("*") and len(raw) > 1:
            words.append((analyser.analyse(raw[:-1]).text, True))
        else:
            words.extend((w, False) for w in analyser.analyse(raw).lemmas)
    return Term(source=phrase, words=tuple(w for w in words if w[0]))


def _word_at(message: Analysed, i: int, word: str, prefix: bool) -> bool:
    token, lem = message.tokens[i], message.lemmas[i]
    if prefix:
        return token.startswith(word) or lem.startswith(word)
    return token == word or lem == word


def find_term(term: Term, message: Analysed) -> tuple[int, int] | None:
    """Span (start, end) of the first occurrence, words in order with at most ``MAX_GAP`` between."""
    if not term.words:
        return None
    n = len(message.tokens)
    first, first_prefix = term.words[0]
    for start in range(n):
        if not _word_at(message, start, first, first_prefix):
            continue
        pos, ok = start, True
        for word, prefix in term.words[1:]:
            for j in range(pos + 1, min(n, pos + 2 + MAX_GAP)):
                if _word_at(message, j, word, prefix):
                    pos = j
                    break
            else:
                ok = False
                break
        if ok:
            return start, pos + 1
    return None
