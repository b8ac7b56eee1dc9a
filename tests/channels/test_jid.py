from __future__ import annotations

import pytest

from channels.chatflow.jid import JidError, mask_jid, normalize_jid, phone_of


@pytest.mark.parametrize(
    ("jid", "masked"),
    [
        ("77011234567@s.whatsapp.net", "7701*****67@…"),
        ("77011234567", "7701*****67"),
        ("123456789012345@lid", "1234*********45@lid"),
        ("123456", "12**56"),
        ("1234", "****"),
        ("", ""),
    ],
)
def test_mask_jid(jid: str, masked: str) -> None:
    assert mask_jid(jid) == masked


def test_normalize_jid_rejects_groups_with_a_flag() -> None:
    with pytest.raises(JidError) as info:
        normalize_jid("120363@g.us")
    assert info.value.is_group


def test_phone_of() -> None:
    assert phone_of("77011234567@s.whatsapp.net") == "77011234567"
    assert phone_of("123@lid") is None


def test_non_ascii_digits_are_not_a_phone() -> None:
    with pytest.raises(JidError):
        normalize_jid("٧٧٠١١٢٣٤٥٦٧")
