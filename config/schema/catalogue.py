"""``services.yaml``: the services catalogue with aliases, price items and durations."""

from __future__ import annotations

import msgspec

from config.schema.base import Id, NonEmpty, Phrase, Strict

__all__ = ["PriceItem", "Service", "ServiceCatalogue"]


class PriceItem(Strict, frozen=True, kw_only=True):
    """One line of the price list. Exactly one of ``price`` / ``price_from`` is set."""

    id: Id
    name: NonEmpty
    price: int | None = None
    price_from: int | None = None
    unit: str = ""
    note: str = ""
    aliases: list[Phrase] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        if (self.price is None) == (self.price_from is None):
            raise ValueError(f"price item {self.id!r} needs exactly one of `price` or `price_from`")
        amount = self.price if self.price is not None else self.price_from
        if amount is not None and amount < 0:
            raise ValueError(f"price item {self.id!r} has a negative price {amount}")


class Service(Strict, frozen=True, kw_only=True):
    """A service a customer can name and book; ``items`` are its priced variants."""

    id: Id
    name: NonEmpty
    category: Id
    aliases: list[Phrase] = msgspec.field(default_factory=list)
    duration: str = ""
    items: list[PriceItem] = msgspec.field(default_factory=list)
    bookable: bool = True


class Category(Strict, frozen=True, kw_only=True):
    id: Id
    name: NonEmpty
    aliases: list[Phrase] = msgspec.field(default_factory=list)


class ServiceCatalogue(Strict, frozen=True, kw_only=True):
    """Everything the bot may say about services and prices comes from here."""

    currency: NonEmpty = "₸"
    suggestions: list[NonEmpty] = msgspec.field(default_factory=list)
    generic_words: list[NonEmpty] = msgspec.field(default_factory=list)
    categories: list[Category] = msgspec.field(default_factory=list)
    services: list[Service]
