"""``intents.yaml``: what customers ask, with example phrases, and how each is answered."""

from __future__ import annotations

import msgspec

from config.schema.base import Id, NonEmpty, Phrase, Score, Strict

__all__ = [
    "Answer",
    "BookingAnswer",
    "ConsultAnswer",
    "DurationAnswer",
    "Intent",
    "PriceAnswer",
    "ServicePresenceAnswer",
    "TemplateAnswer",
]


class TemplateAnswer(Strict, frozen=True, kw_only=True, tag="template", tag_field="kind"):
    """A reply composed from a template whose ``{placeholders}`` name facts."""

    text: NonEmpty


class PriceAnswer(Strict, frozen=True, kw_only=True, tag="price", tag_field="kind"):
    """Prices of the named service or price item, from the catalogue."""

    offer_booking: bool = True


class DurationAnswer(Strict, frozen=True, kw_only=True, tag="duration", tag_field="kind"):
    """How long the named service takes.

    With no service in the message or the context and a last topic in ``redirect_after``, the
    question is about that topic instead (``И по времени?`` after asking the address means hours).
    """

    redirect_after: list[Id] = msgspec.field(default_factory=list)
    redirect_to: Id | None = None


class ServicePresenceAnswer(Strict, frozen=True, kw_only=True, tag="service_presence", tag_field="kind"):
    """``Делаете педикюр?``: yes with the prices, or the honest «нет такой позиции»."""


class BookingAnswer(Strict, frozen=True, kw_only=True, tag="booking", tag_field="kind"):
    """Starts or continues booking intake (service, date/time, name, phone)."""


class ConsultAnswer(Strict, frozen=True, kw_only=True, tag="consult", tag_field="kind"):
    """General, non-medical advice: a lead, a few options and one question back."""

    lead: NonEmpty
    options: list[NonEmpty]
    question: NonEmpty


Answer = TemplateAnswer | PriceAnswer | DurationAnswer | ServicePresenceAnswer | BookingAnswer | ConsultAnswer


class Intent(Strict, frozen=True, kw_only=True):
    """An intent: recognised by its ``examples`` (and optional ``cues``), answered by ``answer``.

    ``mask_services: false`` keeps service names in the examples: use it when the service is
    part of the meaning (aftercare of gel polish vs of lashes), not a slot of the question.
    ``combinable: false`` keeps an intent out of multi-question replies; ``small_talk: true``
    (greetings, thanks) never hides a real request in the same message and never ends a mute.
    ``about`` (service or category ids) ties an intent to those services: when a message names
    services and none of them is among these, the intent is set aside, so «как ухаживать за
    ресницами после процедуры» never gets the gel polish aftercare however close the wording.
    """

    id: Id
    examples: list[Phrase]
    answer: Answer
    cues: list[Phrase] = msgspec.field(default_factory=list)
    threshold: Score | None = None
    combinable: bool = True
    mask_services: bool = True
    ends_booking: bool = False
    small_talk: bool = False
    topic: Id | None = None
    about: list[Id] = msgspec.field(default_factory=list)
