from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from config.compile.compiled import CompiledPack
from config.compile.compiler import compile_pack
from config.files import read_pack_dir
from config.loader import load_pack
from engine import ConversationState, Decision, decide

ROOT = Path(__file__).resolve().parents[2]


@cache
def compiled(name: str) -> CompiledPack:
    return compile_pack(load_pack(read_pack_dir(ROOT / "packs" / name)))


@dataclass
class Chat:
    """A transcript helper: ``chat.say("...")`` returns the Decision and keeps the state."""

    pack: CompiledPack
    now: datetime
    state: ConversationState = field(default_factory=ConversationState)
    history: list[Decision] = field(default_factory=list)

    def say(self, text: str, *, after: timedelta = timedelta(seconds=40)) -> Decision:
        self.now += after
        d = decide(self.pack, self.state, text, self.now)
        self.state = d.state
        self.history.append(d)
        return d


@pytest.fixture
def salon() -> CompiledPack:
    return compiled("demo_salon")


@pytest.fixture
def chat(salon: CompiledPack) -> Iterator[Chat]:
    yield Chat(salon, datetime(2026, 3, 4, 12, 0, tzinfo=ZoneInfo("Asia/Almaty")))
