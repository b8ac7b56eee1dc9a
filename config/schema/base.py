"""The strict base every pack Struct derives from, and reusable constrained types."""

from __future__ import annotations

from typing import Annotated

import msgspec

__all__ = [
    "ClockTime",
    "Id",
    "Minutes",
    "NonEmpty",
    "Phrase",
    "Score",
    "Strict",
]


class Strict(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Frozen, keyword-only, and unknown keys are errors (a typo fails loudly)."""


Id = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,63}$", description="snake_case identifier")]
NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]
Phrase = Annotated[str, msgspec.Meta(min_length=1, max_length=400)]
Score = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
Minutes = Annotated[int, msgspec.Meta(ge=0, le=24 * 60)]
ClockTime = Annotated[str, msgspec.Meta(pattern=r"^([01]?\d|2[0-3]):[0-5]\d$", description="HH:MM")]
