"""The grounding rail: an answer may only say what the retrieved context or the pack's facts say.

Every number (prices, times, percentages, counts), address and proper name in the answer must
occur in the context or the facts, and no LAW topic trigger may fire on the answer. Numbers are
compared digit-for-digit after removing group spaces (``1 500`` = ``1500``); names are compared on
normalised forms with a shared stem, so «Абая» grounds «Абай» but «Кенесары» grounds nothing new.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import msgspec

from config.compile.compiled import CompiledPack
from config.text.normalise import normalise

__all__ = ["STEM", "Verdict", "check_answer", "claims", "same_stem"]

_NUMBER = re.compile(r"\d+(?:[ \u00a0\u202f]\d{3})*(?:[.,:]\d+)?")
_WORD = re.compile(r"(?<!\w)[^\W\d_][\w\-’']+")
_QUOTED = re.compile(r"«([^»]+)»")
STEM = 4  # shared prefix that makes two inflected forms of a name the same name


class Verdict(msgspec.Struct, frozen=True, kw_only=True):
    """``ok`` when nothing is ungrounded; ``problems`` names each claim that failed, and why."""

    ok: bool
    problems: list[str] = msgspec.field(default_factory=list)

    def describe(self) -> str:
        return "grounded" if self.ok else "; ".join(self.problems)


def _numbers(text: str) -> set[str]:
    out: set[str] = set()
    for m in _NUMBER.finditer(text):
        digits = re.sub(r"[ \u00a0\u202f]", "", m.group(0)).replace(",", ".")
        out.add(digits.rstrip("0").rstrip(".") if "." in digits else digits)
    return out


def _sentence_start(text: str, at: int) -> bool:
    """True when the word at ``at`` opens a sentence (an abbreviation like «ул.» does not end one)."""
    before = text[:at].rstrip()
    if not before:
        return True
    if before[-1] in "!?…:;\n":
        return True
    if before[-1] != ".":
        return False
    previous = re.findall(r"\w+", before[-12:])
    return not previous or len(previous[-1]) > 3


def _names(text: str) -> set[str]:
    """Capitalised words not opening a sentence, Latin words, acronyms, and every «quoted» name."""
    out: set[str] = set()
    for quoted in _QUOTED.findall(text):
        out.update(normalise(quoted).split())
    for m in _WORD.finditer(text):
        word = m.group(0)
        latin = bool(re.match(r"[A-Za-z]", word))
        capital = word[0].isupper() and not _sentence_start(text, m.start())
        if capital or latin or word.isupper():
            out.update(normalise(word).split())
    return {w for w in out if w}


def claims(text: str) -> tuple[set[str], set[str]]:
    """(numbers, names) an answer asserts."""
    return _numbers(text), _names(text)


def same_stem(a: str, b: str) -> bool:
    """Two forms of one word: they differ at most in their last two letters (and share ``STEM``)."""
    if len(a) <= STEM or len(b) <= STEM or a[:STEM] != b[:STEM]:
        return a == b
    need = max(STEM, min(len(a), len(b)) - 2)
    return a[:need] == b[:need]


def _grounded_name(name: str, words: set[str]) -> bool:
    """Exact, or the same stem as a known word (inflection: «Розыбакиеву» ~ «Розыбакиева»)."""
    return name in words or (len(name) > STEM and any(same_stem(name, w) for w in words))


_EVIDENCE: dict[tuple[str, str], tuple[frozenset[str], frozenset[str]]] = {}


def _pack_evidence(pack: CompiledPack) -> tuple[frozenset[str], frozenset[str]]:
    """Numbers and words of the pack's facts, computed once per pack version."""
    key = (pack.tenant_id, pack.version)
    found = _EVIDENCE.get(key)
    if found is None:
        text = "\n".join([*pack.source.facts.values(), pack.source.tenant.name])
        found = (frozenset(_numbers(text)), frozenset(normalise(text).split()))
        _EVIDENCE[key] = found
    return found


def check_answer(answer: str, context: Iterable[str], pack: CompiledPack) -> Verdict:
    """Check ``answer`` against the retrieved ``context`` and ``pack``'s facts and LAW topics."""
    fact_numbers, fact_words = _pack_evidence(pack)
    evidence = "\n".join(context)
    known_numbers = _numbers(evidence) | fact_numbers
    known_words = set(normalise(evidence).split()) | fact_words
    numbers, names = claims(answer)
    problems = [
        f"number {n!r} is in neither the retrieved context nor the facts"
        for n in sorted(numbers - known_numbers)
    ]
    problems += [
        f"name {n!r} is in neither the retrieved context nor the facts"
        for n in sorted(names)
        if not _grounded_name(n, known_words)
    ]
    analysed = pack.analyser.analyse(answer)
    for topic, trigger in pack.law:
        hit = trigger.match(analysed)
        if hit is not None:
            problems.append(f"LAW topic {topic.id!r} fires on the answer ({hit})")
    return Verdict(ok=not problems, problems=problems)
