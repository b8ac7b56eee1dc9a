"""DenseMatcher: ranking sanity on colloquial paraphrases (real encoder), caching (fake encoder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest

from cli.packs import load_compiled
from config.compile.compiled import CompiledPack
from encoders.dense import DenseMatcher
from engine.matcher import IntentScore

ROOT = Path(__file__).resolve().parents[2]
INTENTS = {"price", "duration", "location", "hours", "booking", "greeting", "off_topic"}


class MiniPack(msgspec.Struct, frozen=True):
    """What DenseMatcher reads from a pack: its identity and examples (a few intents: fast)."""

    tenant_id: str
    version: str
    examples: tuple[Any, ...]


@pytest.fixture(scope="module")
def salon() -> CompiledPack:
    return load_compiled(str(ROOT / "packs/demo_salon"))


@pytest.fixture(scope="module")
def mini(salon: CompiledPack) -> Any:
    return MiniPack("demo_salon", salon.version, tuple(e for e in salon.examples if e.intent in INTENTS))


@pytest.fixture(scope="module")
def matcher() -> DenseMatcher:
    from tests.encoders.conftest import require_dense

    require_dense()
    return DenseMatcher()


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("скок стоит маник", "price"),
        ("а где вы есть то, адрес скиньте", "location"),
        ("до скольки открыты сёдня", "hours"),
        ("хочу к вам на ноготочки записаться", "booking"),
        ("сколько по времени делается педикюр", "duration"),
        ("сәлем", "greeting"),
        ("какой сейчас курс доллара", "off_topic"),
    ],
)
def test_paraphrases_rank_their_intent_first(
    matcher: DenseMatcher, mini: Any, message: str, intent: str
) -> None:
    ranked = matcher.rank(mini, "", "", raw_text=message)
    assert ranked[0].intent == intent, ranked[:3]
    assert all(isinstance(r, IntentScore) and 0.0 <= r.score <= 1.0 for r in ranked)
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
    assert {r.intent for r in ranked} == INTENTS


class CountingEncoder:
    def __init__(self) -> None:
        self.calls: list[int] = []

    def embed(self, texts: Any) -> Any:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), 4), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i, len(t) % 4] = 1.0
        return out


def test_examples_are_embedded_once_per_pack_version(mini: Any) -> None:
    enc = CountingEncoder()
    m = DenseMatcher(enc)
    for _ in range(3):
        m.rank(mini, "", "", raw_text="сколько стоит")
    assert enc.calls == [len(mini.examples), 1]  # the examples once, the repeated message once
    m.rank(msgspec.structs.replace(mini, version="other"), "", "", raw_text="сколько стоит")
    assert enc.calls == [len(mini.examples), 1, len(mini.examples)]


def test_without_raw_text_the_literal_text_is_scored(mini: Any) -> None:
    enc = CountingEncoder()
    m = DenseMatcher(enc, floor=0.0)
    ranked = m.rank(mini, "masked", "сколько стоит маникюр")
    assert ranked[0].score == 1.0
    assert len(enc.calls) == 2
