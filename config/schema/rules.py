"""Triggers shared by LAW topics, policy gates, opt-out and human-request rules."""

from __future__ import annotations

from typing import Literal

import msgspec

from config.schema.base import Id, NonEmpty, Phrase, Strict

__all__ = [
    "BookingNote",
    "EscalateAction",
    "GateAction",
    "LawTopic",
    "MinutesLimit",
    "Policies",
    "PolicyGate",
    "ReplyAction",
    "SimpleRule",
    "Trigger",
]


class Trigger(Strict, frozen=True, kw_only=True):
    """When a rule fires.

    ``terms`` are phrases matched on lemmas, in order, a word ending in ``*`` matching any word
    that starts with it (``оплат*``); ``regex`` is matched on the normalised text; ``unless``
    phrases veto the rule (a hygiene question is not a medical one).
    """

    terms: list[Phrase] = msgspec.field(default_factory=list)
    regex: list[NonEmpty] = msgspec.field(default_factory=list)
    unless: list[Phrase] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.terms and not self.regex:
            raise ValueError("a trigger needs at least one of `terms` or `regex`")


class LawTopic(Strict, frozen=True, kw_only=True):
    """A topic the bot never handles itself: it always escalates with ``reply``."""

    id: Id
    reason: NonEmpty
    trigger: Trigger
    reply: NonEmpty
    examples: list[Phrase] = msgspec.field(default_factory=list)
    collect: list[NonEmpty] = msgspec.field(default_factory=list)


class EscalateAction(Strict, frozen=True, kw_only=True, tag="escalate", tag_field="kind"):
    reply: NonEmpty


class ReplyAction(Strict, frozen=True, kw_only=True, tag="reply", tag_field="kind"):
    reply: NonEmpty


class BookingNote(Strict, frozen=True, kw_only=True, tag="booking_note", tag_field="kind"):
    """Continue booking intake, prefix ``note`` and mark the request urgent for the managers."""

    note: NonEmpty


class MinutesLimit(Strict, frozen=True, kw_only=True, tag="minutes_limit", tag_field="kind"):
    """Reply ``within_reply`` when the stated minutes are within ``tolerated``, else escalate."""

    tolerated: int
    within_reply: NonEmpty
    over_reply: NonEmpty
    unknown_reply: NonEmpty


GateAction = EscalateAction | ReplyAction | BookingNote | MinutesLimit


class PolicyGate(Strict, frozen=True, kw_only=True):
    """Something the bot never does itself (reschedule, cancel, haggle…) and what it does instead."""

    id: Id
    reason: NonEmpty
    trigger: Trigger | None = None
    same_day_booking: bool = False
    action: GateAction
    examples: list[Phrase] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        if self.trigger is None and not self.same_day_booking:
            raise ValueError(f"gate {self.id!r} needs a `trigger` (or `same_day_booking: true`)")


class SimpleRule(Strict, frozen=True, kw_only=True):
    trigger: Trigger
    reply: NonEmpty
    examples: list[Phrase] = msgspec.field(default_factory=list)


class Policies(Strict, frozen=True, kw_only=True):
    """``policies.yaml``: opt-out, explicit human request, and the policy gates."""

    opt_out: SimpleRule
    human_request: SimpleRule
    gates: list[PolicyGate] = msgspec.field(default_factory=list)


Kind = Literal["law", "gate"]
