"""WhatsApp JIDs: normalising what ChatFlow sends, and masking phone numbers for logs."""

from __future__ import annotations

import re

__all__ = [
    "LID_SUFFIX",
    "USER_SUFFIX",
    "JidError",
    "mask_jid",
    "normalize_jid",
    "phone_of",
]

USER_SUFFIX = "@s.whatsapp.net"
LID_SUFFIX = "@lid"
MIN_PHONE_DIGITS = 7
MAX_PHONE_DIGITS = 15
_USER_DOMAINS = frozenset({"s.whatsapp.net", "c.us"})
_GROUP_DOMAINS = frozenset({"g.us", "broadcast", "newsletter"})
_PHONE_PUNCTUATION = re.compile(r"[\s()+\-.]")


class JidError(ValueError):
    """A sender id that is neither a phone number nor a user/lid JID.

    Attributes:
        reason: what is wrong, phrased as what was expected.
        is_group: True for group/broadcast JIDs (valid, but not a person).
    """

    def __init__(self, reason: str, *, is_group: bool = False) -> None:
        self.reason = reason
        self.is_group = is_group
        super().__init__(reason)


def normalize_jid(raw: str) -> str:
    """Turn a sender id into ``<digits>@s.whatsapp.net`` or ``<digits>@lid``.

    Accepts bare phone numbers (``+7 701 123-45-67``), ``…@s.whatsapp.net``, legacy ``…@c.us``,
    ``…@lid``, and device suffixes (``7701…:12@s.whatsapp.net``).

    Raises:
        JidError: for anything else; ``is_group`` is set for group and broadcast JIDs.
    """
    value = raw.strip()
    if "@" not in value:
        return _digits(value, what="a phone number") + USER_SUFFIX
    local, _, domain = value.rpartition("@")
    domain = domain.lower()
    if domain in _GROUP_DOMAINS or local == "status":
        raise JidError(f"a person's JID, not a group/broadcast JID (…@{domain})", is_group=True)
    local = local.split(":", 1)[0]
    if domain in _USER_DOMAINS:
        return _digits(local, what="a user JID <digits>@s.whatsapp.net") + USER_SUFFIX
    if domain == "lid":
        if not local.isdigit() or not local.isascii():
            raise JidError("a LID JID <digits>@lid")
        return local + LID_SUFFIX
    raise JidError("a JID ending in @s.whatsapp.net, @c.us or @lid, or a bare phone number")


def _digits(value: str, *, what: str) -> str:
    digits = _PHONE_PUNCTUATION.sub("", value)
    if not digits.isascii() or not digits.isdigit():
        raise JidError(f"{what} made of digits")
    if not MIN_PHONE_DIGITS <= len(digits) <= MAX_PHONE_DIGITS:
        raise JidError(f"{what} with {MIN_PHONE_DIGITS}–{MAX_PHONE_DIGITS} digits, not {len(digits)}")
    return digits


def phone_of(jid: str) -> str | None:
    """The phone digits of a normalised user JID, or None for a ``@lid`` (no phone is known)."""
    return jid.removesuffix(USER_SUFFIX) if jid.endswith(USER_SUFFIX) else None


def mask_jid(jid: str) -> str:
    """Mask a JID or phone number for logs: ``77011234567@s.whatsapp.net`` -> ``7701*****67@…``.

    Keeps the first 4 and last 2 digits (fewer for short values); ``@lid`` stays visible because it
    says the number is unknown. Never raises, whatever it is given.
    """
    local, at, domain = jid.partition("@")
    keep_head = 4 if len(local) >= 9 else max(0, len(local) - 4)
    keep_tail = 2 if len(local) >= 5 else 0
    hidden = len(local) - keep_head - keep_tail
    masked = local[:keep_head] + "*" * hidden + (local[-keep_tail:] if keep_tail else "")
    if not at:
        return masked
    return masked + ("@lid" if domain == "lid" else "@…")
