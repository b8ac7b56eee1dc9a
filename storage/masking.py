"""Phone masking for logs: keep enough digits to recognise a customer, never the whole number."""

from __future__ import annotations

__all__ = ["mask_phone"]

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
