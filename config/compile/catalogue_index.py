"""Find services and price items named in a message (aliases, lemmas, coverage of item names)."""

from __future__ import annotations

import msgspec

from config.schema.catalogue import PriceItem, Service, ServiceCatalogue
from config.text.analyse import Analysed, TextAnalyser

__all__ = ["CatalogueIndex", "ItemMatch", "ServiceMention"]

FULL_COVERAGE = 0.75
_FILLER = frozenset({"в", "на", "для", "с", "и", "+", "до", "по", "от", "за", "или", "без", "у"})


class ServiceMention(msgspec.Struct, frozen=True):
    service_id: str
    start: int
    end: int
    alias: str


class ItemMatch(msgspec.Struct, frozen=True):
    service_id: str
    item_id: str
    coverage: float


class CatalogueIndex:
    """Alias lookup for services; lemma coverage for price items."""

    def __init__(self, catalogue: ServiceCatalogue, analyser: TextAnalyser) -> None:
        self.catalogue = catalogue
        self.services: dict[str, Service] = {s.id: s for s in catalogue.services}
        self.items: dict[str, tuple[Service, PriceItem]] = {}
        self._aliases: list[tuple[tuple[str, ...], str, str]] = []
        self._service_words: dict[str, frozenset[str]] = {}
        self._item_lemmas: list[tuple[str, str, frozenset[str], int]] = []
        for service in catalogue.services:
            self._service_words[service.id] = frozenset(
                w for a in (service.name, *service.aliases) for w in analyser.analyse(a).lemmas
            )
            for alias in sorted({service.name, *service.aliases}):
                lem = analyser.analyse(alias).lemmas
                if lem:
                    self._aliases.append((lem, service.id, alias))
            for item in service.items:
                self.items[item.id] = (service, item)
                for name in sorted({item.name, *item.aliases}):
                    content = frozenset(w for w in analyser.analyse(name).lemmas if w not in _FILLER)
                    if content:
                        self._item_lemmas.append((service.id, item.id, content, len(content)))
        self._aliases.sort(key=lambda a: -len(a[0]))
        # By first lemma, each with its rank in the longest-first order: a message is scanned once.
        self._by_first: dict[str, list[tuple[int, tuple[str, ...], str, str]]] = {}
        for rank, (lem, service_id, alias) in enumerate(self._aliases):
            self._by_first.setdefault(lem[0], []).append((rank, lem, service_id, alias))
        self.generic = frozenset(w for g in catalogue.generic_words for w in analyser.analyse(g).lemmas)

    def mentions(self, message: Analysed) -> list[ServiceMention]:
        """Non-overlapping service mentions, longest alias first, in message order.

        Where two aliases overlap, the longer one wins (then the earlier alias in the index's order,
        then the earlier position), as if each alias in turn were searched through the whole message.
        """
        lemmas = message.lemmas
        candidates = [
            (rank, i, len(alias), service_id, source)
            for i, lemma in enumerate(lemmas)
            for rank, alias, service_id, source in self._by_first.get(lemma, ())
            if lemmas[i : i + len(alias)] == alias
        ]
        if not candidates:
            return []
        candidates.sort()
        taken = [False] * len(lemmas)
        found: list[ServiceMention] = []
        for _, i, n, service_id, source in candidates:
            if not any(taken[i : i + n]):
                found.append(ServiceMention(service_id, i, i + n, source))
                for j in range(i, i + n):
                    taken[j] = True
        return sorted(found, key=lambda m: m.start)

    def item_matches(
        self, message: Analysed, within: str | None = None, _full: bool = False
    ) -> list[ItemMatch]:
        """Price items best covered by the message's lemmas.

        An item counts when at least ``FULL_COVERAGE`` of its name's content words appear; within
        a known service (``within``) the best-covered item of that service counts on any overlap.
        """
        lemmas = message.lemmas
        negated = {lemmas[i + 1] for i, w in enumerate(lemmas[:-1]) if w == "без"}
        words = set(lemmas) - negated
        mentioned = {m.service_id for m in self.mentions(message)} if within is None else set()
        if mentioned:
            scoped = [m for s in sorted(mentioned) for m in self.item_matches(message, within=s, _full=True)]
            if scoped:
                return scoped
        if within is not None and not _full:
            words -= self._service_words.get(within, frozenset())
        best: dict[str, ItemMatch] = {}
        for service_id, item_id, content, size in self._item_lemmas:
            if within is not None and service_id != within:
                continue
            coverage = len(content & words) / size
            bar = 0.01 if within is not None and not _full else FULL_COVERAGE
            if coverage >= bar and (item_id not in best or coverage > best[item_id].coverage):
                best[item_id] = ItemMatch(service_id, item_id, coverage)
        if not best:
            return []
        top = max(m.coverage for m in best.values())
        winners = [m for m in best.values() if m.coverage == top]
        if within is not None and top < FULL_COVERAGE and len(winners) > 1:
            return []
        longest = max(len(self._content(m.item_id)) for m in winners)
        return [m for m in winners if len(self._content(m.item_id)) == longest]

    def _content(self, item_id: str) -> frozenset[str]:
        return next(c for _, i, c, _ in self._item_lemmas if i == item_id)
