"""``CompiledPack``: an immutable, ready-to-match form of a pack, with a content version."""

from __future__ import annotations

from typing import Any

import msgspec

from config.compile.catalogue_index import CatalogueIndex
from config.compile.rules import CompiledTrigger
from config.schema.intents import Intent
from config.schema.pack import PackSource
from config.schema.rules import LawTopic, PolicyGate
from config.text.analyse import TextAnalyser
from config.text.ngrams import NgramIndex

__all__ = ["OFF_TOPIC", "CompiledPack", "Example"]

OFF_TOPIC = "off_topic"


class Example(msgspec.Struct, frozen=True):
    """One example phrase (or OOD anchor) as the matcher sees it."""

    intent: str
    text: str
    matched: str
    masked: bool = True


class CompiledPack(msgspec.Struct, frozen=True, kw_only=True):
    """Everything ``engine.decide`` needs, precomputed. Built only by ``compile_pack``."""

    source: PackSource
    version: str
    analyser: TextAnalyser
    catalogue: CatalogueIndex
    intents: dict[str, Intent]
    intent_texts: dict[str, str]
    intent_facts: dict[str, tuple[str, ...]]
    examples: tuple[Example, ...]
    index: NgramIndex
    literal_index: NgramIndex
    law: tuple[tuple[LawTopic, CompiledTrigger], ...]
    gates: tuple[tuple[PolicyGate, CompiledTrigger | None], ...]
    opt_out: CompiledTrigger
    human_request: CompiledTrigger
    abuse: CompiledTrigger | None
    templates: dict[str, str]
    extras: dict[str, Any] = msgspec.field(default_factory=dict)

    @property
    def tenant_id(self) -> str:
        return self.source.tenant.id

    def threshold(self, intent_id: str) -> float:
        th = self.source.thresholds
        if intent_id == OFF_TOPIC:
            return th.ood
        return th.per_intent.get(intent_id, self.intents[intent_id].threshold or th.intent)
