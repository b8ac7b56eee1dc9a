"""Turn a message into tokens and lemmas, applying a pack's lexicon."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from config.text.morph import lemma
from config.text.normalise import normalise

__all__ = ["Analysed", "TextAnalyser"]


class Analysed(msgspec.Struct, frozen=True):
    """A message after normalisation: surface tokens and their lemmas, index-aligned."""

    raw: str
    text: str
    tokens: tuple[str, ...]
    lemmas: tuple[str, ...]

    @property
    def lemma_text(self) -> str:
        return " ".join(self.lemmas)


class TextAnalyser:
    """Normalise → lexicon rewrite (word or phrase level) → lemmas."""

    def __init__(self, replace: Mapping[str, str]) -> None:
        self._single: dict[str, tuple[str, ...]] = {}
        self._phrases: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
        for src, dst in replace.items():
            key = tuple(normalise(src).split())
            value = tuple(normalise(dst).split())
            if len(key) == 1:
                self._single[key[0]] = value
            elif key:
                self._phrases.append((key, value))
        self._phrases.sort(key=lambda kv: -len(kv[0]))

    def rewrite(self, tokens: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(tokens):
            for key, value in self._phrases:
                if tuple(tokens[i : i + len(key)]) == key:
                    out.extend(value)
                    i += len(key)
                    break
            else:
                out.extend(self._single.get(tokens[i], (tokens[i],)))
                i += 1
        return out

    def analyse(self, raw: str) -> Analysed:
        tokens = self.rewrite(normalise(raw).split())
        return Analysed(
            raw=raw, text=" ".join(tokens), tokens=tuple(tokens), lemmas=tuple(lemma(t) for t in tokens)
        )
