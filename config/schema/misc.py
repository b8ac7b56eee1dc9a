"""Smaller pack files: out-of-domain anchors, lexicon, thresholds and system templates."""

from __future__ import annotations

import msgspec

from config.schema.base import Id, NonEmpty, Phrase, Score, Strict

__all__ = ["Lexicon", "OutOfDomain", "SystemTemplates", "Thresholds"]


class OutOfDomain(Strict, frozen=True, kw_only=True):
    """``ood.yaml``: phrases that are not this business's topic, and the one gentle return."""

    anchors: list[Phrase]
    reply: NonEmpty


class Lexicon(Strict, frozen=True, kw_only=True):
    """``lexicon.yaml``: slang and typos rewritten before matching (``маник`` → ``маникюр``)."""

    replace: dict[NonEmpty, str] = msgspec.field(default_factory=dict)
    stopwords: list[NonEmpty] = msgspec.field(default_factory=list)
    question_words: list[NonEmpty] = msgspec.field(default_factory=list)


class Thresholds(Strict, frozen=True, kw_only=True):
    """``thresholds.yaml``: matcher thresholds, all in [0, 1]."""

    intent: Score = 0.45
    ood: Score = 0.5
    ambiguity_margin: Score = 0.04
    retrieval: Score = 0.55
    cue_bonus: Score = 0.2
    per_intent: dict[Id, Score] = msgspec.field(default_factory=dict)


class SystemTemplates(Strict, frozen=True, kw_only=True):
    """``templates.yaml``: replies the engine itself composes. ``{placeholders}`` name facts."""

    greeting: NonEmpty
    thanks: NonEmpty
    clarify: NonEmpty
    clarify_escalate: NonEmpty
    escalate_default: NonEmpty
    shield_escalate: NonEmpty
    quiet_hours: NonEmpty
    quiet_hours_brief: NonEmpty | None = None
    """Said instead of ``quiet_hours`` when the reply already states every fact it names (e.g. the hours)."""
    escalation_eta_closed: NonEmpty
    price_line: NonEmpty = "{item} — {price}"
    price_from_line: NonEmpty = "{item} — от {price}"
    price_intro: NonEmpty
    price_offer_booking: NonEmpty
    price_needs_service: NonEmpty
    not_found: NonEmpty
    duration_needs_service: NonEmpty
    duration_unknown: NonEmpty
    presence_yes: NonEmpty
    booking_ask_service: NonEmpty
    booking_ask_datetime: NonEmpty
    booking_ask_time: NonEmpty
    booking_ask_name: NonEmpty
    booking_ask_phone: NonEmpty
    booking_unknown_service: NonEmpty
    booking_handed_over: NonEmpty
    booking_offer: NonEmpty
    media_reply: NonEmpty
    extra: dict[Id, Phrase] = msgspec.field(default_factory=dict)
