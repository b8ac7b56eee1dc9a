"""Lemmas from the installed pymorphy3 Russian dictionaries (nothing is downloaded)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

__all__ = ["is_function_word", "is_name", "lemma", "part_of_speech"]

_RUSSIAN_WORD = re.compile(r"^[а-я]+$")
_MORPH: Any = None


def _analyser() -> Any:
    global _MORPH
    if _MORPH is None:
        import pymorphy3

        _MORPH = pymorphy3.MorphAnalyzer(lang="ru")
    return _MORPH


# Kazakh case endings glued to Russian loan words: «маникюрге», «педикюрді», «салонда».
_KAZAKH_SUFFIXES = (
    "дан",
    "ден",
    "тан",
    "тен",
    "нан",
    "нен",
    "ның",
    "нің",
    "дың",
    "дің",
    "тың",
    "тің",
    "мен",
    "бен",
    "пен",
    "ге",
    "ға",
    "ке",
    "қа",
    "ды",
    "ді",
    "ты",
    "ті",
    "ны",
    "ні",
    "да",
    "де",
    "та",
    "те",
)
_FUNCTION_POS = frozenset({"NPRO", "PREP", "CONJ", "PRCL", "INTJ", "PRED", "NUMR"})


@lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """Normal form of a Russian word (also of a Russian loan word with a Kazakh case ending);
    other words (Latin, Kazakh, numbers) are returned as is."""
    if len(word) < 3:
        return word
    if not _RUSSIAN_WORD.match(word):
        stem = _kazakh_stem(word)
        return lemma(stem) if stem else word
    parse = _analyser().parse(word)[0]
    if not parse.is_known:
        stem = _kazakh_stem(word)
        if stem:
            return lemma(stem)
    return str(parse.normal_form).replace("ё", "е")


def _kazakh_stem(word: str) -> str:
    for suffix in _KAZAKH_SUFFIXES:
        stem = word[: -len(suffix)]
        fits = word.endswith(suffix) and len(stem) >= 4 and _RUSSIAN_WORD.match(stem)
        if fits and _analyser().parse(stem)[0].is_known:
            return stem
    return ""


@lru_cache(maxsize=16384)
def is_function_word(word: str) -> bool:
    """Pronouns, prepositions, conjunctions, particles: words that never name a service."""
    if not _RUSSIAN_WORD.match(word):
        return False
    return str(_analyser().parse(word)[0].tag.POS) in _FUNCTION_POS


@lru_cache(maxsize=16384)
def is_name(word: str) -> bool:
    """True when the dictionary knows ``word`` as a first name."""
    if not _RUSSIAN_WORD.match(word.lower()):
        return False
    return any("Name" in p.tag and p.score > 0.1 for p in _analyser().parse(word.lower()))


@lru_cache(maxsize=16384)
def part_of_speech(word: str) -> str:
    """pymorphy3's part-of-speech tag of the most likely parse (``""`` for non-Russian words)."""
    if not _RUSSIAN_WORD.match(word):
        return ""
    return str(_analyser().parse(word)[0].tag.POS or "")
