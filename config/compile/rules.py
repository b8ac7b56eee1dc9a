"""Compiled triggers: lemma terms, regexes and vetoes."""

from __future__ import annotations

import re

import msgspec

from config.schema.rules import Trigger
from config.text.analyse import Analysed, TextAnalyser
from config.text.terms import Term, compile_term, find_term

__all__ = ["CompiledTrigger", "compile_trigger"]


class CompiledTrigger(msgspec.Struct, frozen=True):
    terms: tuple[Term, ...]
    regexes: tuple[re.Pattern[str], ...]
    unless: tuple[Term, ...]

    def match(self, message: Analysed) -> str | None:
        """The term or regex that fires on ``message`` (``None`` if none, or if vetoed)."""
        hit: str | None = None
        for term in self.terms:
            if find_term(term, message) is not None:
                hit = term.source
                break
        if hit is None:
            for rx in self.regexes:
                if rx.search(message.text):
                    hit = f"/{rx.pattern}/"
                    break
        if hit is None:
            return None
        if any(find_term(v, message) is not None for v in self.unless):
            return None
        return hit


def compile_trigger(trigger: Trigger, analyser: TextAnalyser) -> CompiledTrigger:
    return CompiledTrigger(
        terms=tuple(compile_term(t, analyser) for t in trigger.terms),
        regexes=tuple(re.compile(r) for r in trigger.regex),
        unless=tuple(compile_term(t, analyser) for t in trigger.unless),
    )
