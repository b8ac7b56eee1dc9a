"""Service mentions: the first-lemma index finds what a search of every alias through the message finds."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.packs import load_compiled
from config.compile.catalogue_index import CatalogueIndex, ServiceMention
from config.compile.compiled import CompiledPack
from config.text.analyse import Analysed

PACKS = Path(__file__).resolve().parents[2] / "packs"


def every_alias_in_turn(index: CatalogueIndex, message: Analysed) -> list[ServiceMention]:
    """The definition: each alias, longest first, searched through the whole message; no overlaps."""
    lemmas = message.lemmas
    taken = [False] * len(lemmas)
    found = []
    for alias, service_id, source in index._aliases:
        n = len(alias)
        for i in range(len(lemmas) - n + 1):
            if lemmas[i : i + n] == alias and not any(taken[i : i + n]):
                found.append(ServiceMention(service_id, i, i + n, source))
                for j in range(i, i + n):
                    taken[j] = True
    return sorted(found, key=lambda m: m.start)


@pytest.fixture(scope="module", params=["demo_salon", "auto_service"])
def pack(request: pytest.FixtureRequest) -> CompiledPack:
    return load_compiled(str(PACKS / request.param))


def _messages(pack: CompiledPack) -> list[str]:
    texts = [t.user for cases in pack.source.batteries.values() for c in cases for t in c.user_turns()]
    aliases = [a for s in pack.source.catalogue.services for a in (s.name, *s.aliases)]
    # Overlapping aliases side by side: the longer must win wherever it starts.
    joined = [" ".join(aliases[i : i + 3]) for i in range(0, len(aliases), 2)]
    return texts + joined


def test_mentions_match_the_alias_by_alias_search_on_every_battery_message(pack: CompiledPack) -> None:
    index = pack.catalogue
    messages = _messages(pack)
    named = 0
    for text in messages:
        analysed = pack.analyser.analyse(text)
        found = index.mentions(analysed)
        assert found == every_alias_in_turn(index, analysed), text
        named += bool(found)
    assert named > len(messages) // 4  # the comparison saw plenty of mentions, not only empty lists


def test_the_longer_alias_wins_where_two_overlap() -> None:
    pack = load_compiled(str(PACKS / "demo_salon"))
    found = pack.catalogue.mentions(pack.analyser.analyse("хочу ламинирование ресниц и брови"))
    assert [(m.service_id, m.end - m.start) for m in found] == [("lashes", 2), ("brows", 1)]
