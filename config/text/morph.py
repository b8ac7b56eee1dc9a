"""Lemmas from the installed pymorphy3 Russian dictionaries (nothing is downloaded)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

__all__ = ["is_name", "lemma"]

_RUSSIAN_WORD = re.compile(r"^[а-я]+$")
_MORPH: Any = None


def _analyser() -> Any:
    global _MORPH
    if _MORPH is None:
        import pymorphy3

        _MORPH = pymorphy3.MorphAnalyzer(lang="ru")
    return _MORPH


@lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """Normal form of a Russian word; other words (Latin, Kazakh, numbers) are returned as is."""
    if len(word) < 3 or not _RUSSIAN_WORD.match(word):
        return word
    return str(_analyser().parse(word)[0].normal_form).replace("ё", "е")


@lru_cache(maxsize=16384)
def is_name(word: str) -> bool:
    """True when the dictionary knows ``word`` as a first name."""
    if not _RUSSIAN_WORD.match(word.lower()):
        return False
    return any("Name" in p.tag and p.score > 0.1 for p in _analyser().parse(word.lower()))
