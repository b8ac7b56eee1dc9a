"""Surface normalisation: case, ё, punctuation, repeated letters, white space."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_NORMALISED_CHARS", "normalise"]

MAX_NORMALISED_CHARS = 4000
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")
_KEEP_INNER = re.compile(r"(?<=\d)[:.](?=\d)")
_PUNCT = re.compile(r"[^\w\s%+:.\-]|_")
_LOOSE = re.compile(r"(?<!\d)[:.](?!\d)|(?<!\w)-|-(?!\w)")
_SPACES = re.compile(r"\s+")
_SPLIT_HYPHEN = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")


def normalise(text: str) -> str:
    """Lower-case, ``ё``→``е``, punctuation to spaces (times like ``15:30`` kept), letters
    repeated three or more times collapsed (``приииивет`` → ``привет``).

    The input is NFKC-normalised and capped first, so nothing downstream sees an
    expanding code point or an unbounded string.
    """
    text = unicodedata.normalize("NFKC", text[:MAX_NORMALISED_CHARS])[:MAX_NORMALISED_CHARS]
    text = text.lower().replace("ё", "е").replace("\u2013", "-").replace("\u2014", " ")
    text = _REPEATS.sub(r"\1", text)
    text = _PUNCT.sub(" ", text)
    text = _LOOSE.sub(" ", text)
    text = _SPLIT_HYPHEN.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def keep_inner(text: str) -> bool:
    """True when ``text`` holds a time or decimal like ``15:30`` (used by tests)."""
    return bool(_KEEP_INNER.search(text))
