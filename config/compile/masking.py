"""The text the intent matcher sees: lemmas, with services, dates and numbers masked.

Masking makes «сколько стоит маникюр» and «сколько стоит стрижка» the same question, so intents
are learned from their wording rather than from the services their examples happen to name.
"""

from __future__ import annotations

from datetime import datetime

from config.compile.catalogue_index import CatalogueIndex
from config.text.analyse import Analysed
from config.text.when import find_when

__all__ = ["NUMBER_MASK", "SERVICE_MASK", "TIME_MASK", "matching_text"]

SERVICE_MASK = "услугаx"
TIME_MASK = "времяx"
NUMBER_MASK = "числоx"
_REFERENCE_NOW = datetime(2026, 1, 5, 12, 0)


def matching_text(
    message: Analysed,
    catalogue: CatalogueIndex,
    stopwords: frozenset[str] = frozenset(),
    mask_services: bool = True,
) -> str:
    """Lemma text with service mentions, date/time expressions and numbers replaced by masks."""
    out = list(message.lemmas)
    for mention in catalogue.mentions(message):
        if not mask_services:
            continue
        out[mention.start] = SERVICE_MASK
        for j in range(mention.start + 1, mention.end):
            out[j] = ""
    for start, end in find_when(message, _REFERENCE_NOW).spans:
        out[start] = TIME_MASK
        for j in range(start + 1, end):
            out[j] = ""
    words: list[str] = []
    for w in out:
        if not w or w in stopwords:
            continue
        if w.isdigit():
            w = NUMBER_MASK
        if words and words[-1] == w and w in (SERVICE_MASK, TIME_MASK, NUMBER_MASK):
            continue
        words.append(w)
    return " ".join(words)
