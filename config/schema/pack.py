"""The whole pack as read from its files, before linting and compiling."""

from __future__ import annotations

import msgspec

from config.schema.base import Strict
from config.schema.battery import Case
from config.schema.catalogue import ServiceCatalogue
from config.schema.intents import Intent
from config.schema.misc import Lexicon, OutOfDomain, SystemTemplates, Thresholds
from config.schema.rules import LawTopic, Policies
from config.schema.tenant import TenantSettings

__all__ = ["IntentsFile", "LawFile", "PackSource"]


class IntentsFile(Strict, frozen=True, kw_only=True):
    intents: list[Intent]


class LawFile(Strict, frozen=True, kw_only=True):
    topics: list[LawTopic]


class PackSource(msgspec.Struct, frozen=True, kw_only=True):
    """Every file of a pack, typed. ``facts`` is the flattened ``facts.yaml`` (dotted ids)."""

    tenant: TenantSettings
    facts: dict[str, str]
    catalogue: ServiceCatalogue
    intents: list[Intent]
    ood: OutOfDomain
    law: list[LawTopic]
    policies: Policies
    templates: SystemTemplates
    lexicon: Lexicon
    thresholds: Thresholds
    knowledge: dict[str, str] = msgspec.field(default_factory=dict)
    batteries: dict[str, list[Case]] = msgspec.field(default_factory=dict)
