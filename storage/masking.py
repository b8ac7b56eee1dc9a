"""Phone masking for logs: keep enough digits to recognise a customer, never the whole number."""

from __future__ import annotations

import re

__all__ = ["mask_phone", "mask_phones_in"]

_KEEP_HEAD = 4
_KEEP_TAIL = 4


def mask_phone(jid_or_phone: str) -> str:
    """Mask a WhatsApp JID or phone: ``77011234567@s.whatsapp.net`` -> ``+7701***4567``.

    Values with too few digits to mask safely come back fully starred.
    """
    digits = "".join(ch for ch in jid_or_phone.split("@", 1)[0] if ch.isdigit())
    if len(digits) <= _KEEP_HEAD + _KEEP_TAIL:
        return "*" * max(len(digits), 3)
    return f"+{digits[:_KEEP_HEAD]}***{digits[-_KEEP_TAIL:]}"


_DIGIT = re.compile(r"\d")
_JID = re.compile(r"(?<![\w.])\+?\d{6,15}@[\w.]+")
_PHONE = re.compile(
    r"(?<![\w.+-])"  # not inside a word, a number, or a negative id (Telegram chat ids are -100…)
    r"(?:\+?\d{10,15}"  # 77011234567, +77011234567
    r"|\+?\d{1,3}[ -]?\(?\d{3}\)?[ -]?\d{3}[ -]?\d{2}[ -]?\d{2})"  # +7 (701) 123-45-67
    r"(?![\w])"
)


def mask_phones_in(text: str) -> str:
    """Mask every phone number and WhatsApp JID inside free text (log lines, error messages).

    Digit runs glued to letters (hex ids), decimals and negative numbers (Telegram chat ids) are
    left alone; any other run of 10–15 digits is treated as a phone: over-masking is the safe side.
    """
    if _DIGIT.search(text) is None:  # no digit, no phone (a C scan, not a Python loop per character)
        return text
    text = _JID.sub(lambda m: mask_phone(m.group(0)), text)
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)
