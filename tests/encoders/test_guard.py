"""The guard: whatever comes in, what goes out is NFKC-stable, non-expanding and within the cap."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from encoders.guard import MAX_CHARS, MAX_EXPANSION, expansion, guard, is_safe

# code points whose NFKC form is longer than themselves, the long ones first (U+FDFA: 18)
EXPANDING = sorted(
    (c for c in range(0x110000) if not 0xD800 <= c < 0xE000 and expansion(chr(c)) > 1),
    key=lambda c: -expansion(chr(c)),
)
NAMED = ["\ufdfa", "\ufdfb", "\ufb2c", "\u3300", "\u3250", "\u2474", "\u2153", "\u2026", "\u2116", "\ufb01"]


def test_the_ligature_that_overflows_the_encoder_is_dropped() -> None:
    assert guard("\ufdfa" * 50) == ""
    assert guard("цена \ufdfa\ufdfb маникюра") == "цена маникюра"


def test_ordinary_russian_and_kazakh_text_is_kept() -> None:
    for text in ("Скок стоит маник?", "Сәлеметсіз бе! Қанша тұрады?", "Запишите на 15:30, №5"):
        out = guard(text)
        assert is_safe(out)
        assert out == unicodedata.normalize("NFKC", text)


def test_short_expansions_are_normalised_not_dropped() -> None:
    assert guard("№5 … ﬁ") == "No5 ... fi"
    assert guard("\u3300") == unicodedata.normalize("NFKC", "\u3300")  # 4 code points: kept


def test_controls_surrogates_and_private_use_go() -> None:
    assert guard("a\x00b\u200bc\ud800d\ue000e\u2028f") == "a b cde f"


def test_cap_and_whitespace() -> None:
    assert len(guard("я" * 5000)) == MAX_CHARS
    assert guard("  a \n\t b  ") == "a b"
    assert len(guard("\u2474" * 400, max_chars=100)) <= 100  # «⑴» → «(1)»: grows, then capped
    with pytest.raises(ValueError):
        guard("x", max_chars=0)


def test_expanding_code_points_are_all_known() -> None:
    assert max(expansion(chr(c)) for c in EXPANDING) == 18
    assert all(guard(chr(c)) == "" for c in EXPANDING if expansion(chr(c)) > MAX_EXPANSION)


text_with_expanders = st.lists(
    st.one_of(
        st.sampled_from(NAMED),
        st.sampled_from([chr(c) for c in EXPANDING]),
        st.characters(),  # any code point, surrogates included
        st.text(alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюяәіңғүұқөһ ?!.,", max_size=20),
    ),
    max_size=120,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(text_with_expanders, st.integers(min_value=1, max_value=600))
def test_guard_output_is_nfkc_stable_non_expanding_and_capped(text: str, cap: int) -> None:
    out = guard(text, max_chars=cap)
    assert len(out) <= cap
    assert unicodedata.normalize("NFKC", out) == out
    assert all(expansion(ch) == 1 for ch in out)
    assert is_safe(out, cap)
    assert guard(out, max_chars=cap) == out  # idempotent
    out.encode("utf-8")  # no lone surrogate reaches ctypes


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(NAMED), min_size=1, max_size=400).map("".join))
def test_runs_of_expanding_code_points_never_exceed_four_code_points_per_byte(text: str) -> None:
    """The engine's buffer holds 4 code points per input byte: the guarded text stays under it."""
    out = guard(text)
    encoded = len(out.encode("utf-8"))
    assert len(unicodedata.normalize("NFKC", out)) <= 4 * max(encoded, 1)
