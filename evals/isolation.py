"""Tenant-isolation contracts: nothing unique to tenant B ever appears in tenant A's answers.

For every ordered pair (A, B) we run A's batteries plus probes that name B's services, prices,
address and brand, and look for B's *fingerprints* — fact texts, price lines, names and rare
words that occur in B's pack and nowhere in A's — in A's replies and traces. A fingerprint the
customer typed into the probe is not a leak (the bot may quote the customer), so those are skipped.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import msgspec

from config.compile.compiled import CompiledPack
from config.schema.battery import Case
from engine import ConversationState, decide
from evals.answers_format import price_text
from evals.runner import DEFAULT_DATE, run_cases

__all__ = ["Leak", "PairResult", "check_pair", "fingerprints", "probes"]

MIN_FINGERPRINT = 6
_WORD = re.compile(r"[^\W\d_]{7,}")


class Leak(msgspec.Struct, frozen=True, kw_only=True):
    tenant: str
    other: str
    case: str
    message: str
    where: str
    fingerprint: str


class PairResult(msgspec.Struct, frozen=True, kw_only=True):
    tenant: str
    other: str
    probes: int
    cases: int
    leaks: list[Leak]


def _own_text(pack: CompiledPack) -> str:
    return msgspec.json.encode(msgspec.structs.replace(pack.source, batteries={})).decode().lower()


def fingerprints(other: CompiledPack, tenant: CompiledPack) -> list[str]:
    """Strings of ``other`` that never occur in ``tenant``'s own pack."""
    own = _own_text(tenant)
    found: set[str] = set()
    cat = other.source.catalogue
    candidates = [*other.source.facts.values(), other.source.tenant.name]
    for service in cat.services:
        for item in service.items:
            candidates.append(item.name)
            amount = item.price if item.price is not None else item.price_from
            if amount is not None:
                candidates.append(
                    f"{item.name} — {'от ' if item.price is None else ''}{price_text(amount, cat.currency)}"
                )
    for text in candidates:
        low = text.lower().strip()
        if len(low) >= MIN_FINGERPRINT and low not in own:
            found.add(low)
        for word in _WORD.findall(low):
            if word not in own:
                found.add(word)
    return sorted(found)


def probes(other: CompiledPack) -> list[str]:
    """Questions to tenant A that name tenant B's services, prices, address and brand."""
    src = other.source
    out = [f"Это {src.tenant.name}?", f"Я хочу к вам, в {src.tenant.name}"]
    for service in src.catalogue.services:
        out.append(f"Делаете {service.name.lower()}?")
        for item in service.items[:3]:
            out.append(f"Сколько стоит {item.name.lower()}?")
    for key, value in src.facts.items():
        if any(part in key for part in ("address", "brand", "name", "location")):
            out.append(f"У вас {value}?")
    return out


def _said(pack: CompiledPack, message: str) -> str:
    """The customer's words in every form the trace may hold them (raw, normalised, lemmas)."""
    analysed = pack.analyser.analyse(message)
    return " ".join((message.lower(), analysed.text, analysed.lemma_text))


def _scan(
    pack: CompiledPack, turn_texts: list[tuple[str, str, str]], marks: list[str], other: str, case: str
) -> list[Leak]:
    leaks = []
    tenant = pack.tenant_id
    for message, where, text in turn_texts:
        low, said = text.lower(), _said(pack, message)
        for mark in marks:
            if mark in low and mark not in said:
                leaks.append(
                    Leak(
                        tenant=tenant, other=other, case=case, message=message, where=where, fingerprint=mark
                    )
                )
    return leaks


def check_pair(
    tenant: CompiledPack, other: CompiledPack, *, baseline: CompiledPack | None = None
) -> PairResult:
    """Run the contract for (tenant, other); ``baseline`` is the pack whose own text defines what is
    legitimately the tenant's (the tenant itself unless a test plants a leak into it)."""
    marks = fingerprints(other, baseline or tenant)
    leaks: list[Leak] = []
    now = datetime(
        DEFAULT_DATE.year,
        DEFAULT_DATE.month,
        DEFAULT_DATE.day,
        12,
        0,
        tzinfo=ZoneInfo(tenant.source.tenant.timezone),
    )
    questions = probes(other)
    for question in questions:
        d = decide(tenant, ConversationState(), question, now)
        trace = msgspec.json.encode(d.trace).decode()
        leaks += _scan(
            tenant,
            [(question, "reply", d.reply), (question, "trace", trace)],
            marks,
            other.tenant_id,
            "probe",
        )
    cases: list[tuple[str, Case]] = [(n, c) for n, cs in sorted(tenant.source.batteries.items()) for c in cs]
    for result in run_cases(cases, tenant, strict_intents=False):
        for turn in result.turns:
            trace = msgspec.json.encode(turn.trace).decode()
            leaks += _scan(
                tenant,
                [(turn.user, "reply", turn.reply), (turn.user, "trace", trace)],
                marks,
                other.tenant_id,
                result.id,
            )
    return PairResult(
        tenant=tenant.tenant_id, other=other.tenant_id, probes=len(questions), cases=len(cases), leaks=leaks
    )
