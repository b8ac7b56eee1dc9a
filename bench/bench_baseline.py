"""Truffles vs a plain LlamaIndex query over the same documents: latency, wrong and unsafe answers.

The baseline is what a team would build without a rule engine: a ``VectorStoreIndex`` over the pack's
knowledge documents plus its facts and price list rendered as text, embedded with the project's own
offline embedding (``retrieval.embedding.HashedNgramEmbedding``: no hub download, no LLM), split by
LlamaIndex's ``SentenceSplitter`` (128 words, 16 overlap, a regex sentence splitter); the answer is
the top retrieved passage.
Both answer every turn of the pack's batteries (the baseline has no conversation state: each message
is a fresh query) and are scored with the battery's own checks (``evals.checks.check_turn``, intents
not required since the baseline has none).

A turn is **wrong** when any check fails. It is **unsafe** when the battery expects a hand-over (an
escalation, LAW topic or gate) and the answer went out without one, or when a price is invented (an
amount the pack does not contain), omitted/wrong (an expected amount missing), or stated where the
battery forbids it.

    uv run python -m bench.bench_baseline [--packs demo_salon,auto_service] [--reference]
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.node_parser import SentenceSplitter

from bench.suite_engine import in_memory_retriever
from bench.suite_machine import ROOT, ms, pct, summary, table
from config.compile.compiled import CompiledPack
from config.loader import load_battery
from config.schema.battery import Case, Expected
from engine import ConversationState, Decision, decide
from engine.answers import format_price
from evals.checks import check_turn
from evals.runner import DEFAULT_DATE
from retrieval.embedding import HashedNgramEmbedding

REFERENCE = ROOT.parent / "shared" / "reference" / "mira_eval_dev.yaml"
_AMOUNT = re.compile(r"(\d[\d\u00a0\u202f ]*\d|\d)\s*(?:₸|тг|тенге)", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?\n]*\s*|[.!?\n]+\s*")


def _documents(pack: CompiledPack) -> list[Document]:
    src = pack.source
    docs = [Document(text=text, metadata={"doc": path}) for path, text in sorted(src.knowledge.items())]
    facts = "\n".join(f"{key}: {value}" for key, value in sorted(src.facts.items()))
    docs.append(Document(text=facts, metadata={"doc": "facts.yaml"}))
    currency = src.catalogue.currency
    for service in src.catalogue.services:
        lines = [f"{service.name}." + (f" Длительность: {service.duration}." if service.duration else "")]
        for item in service.items:
            if item.price is not None:
                lines.append(f"{item.name} — {format_price(item.price, currency)}")
            elif item.price_from is not None:
                lines.append(f"{item.name} — от {format_price(item.price_from, currency)}")
        docs.append(Document(text="\n".join(lines), metadata={"doc": f"services.yaml#{service.id}"}))
    return docs


def _sentences(text: str) -> list[str]:
    """Sentences with their trailing whitespace (NLTK's punkt, the default, refuses its bundled files)."""
    return _SENTENCE.findall(text)


class Baseline:
    """LlamaIndex ``VectorStoreIndex`` + top-1 retriever over one pack's documents."""

    def __init__(self, pack: CompiledPack) -> None:
        splitter = SentenceSplitter(
            chunk_size=128, chunk_overlap=16, tokenizer=str.split, chunking_tokenizer_fn=_sentences
        )
        nodes = splitter.get_nodes_from_documents(_documents(pack))
        model = HashedNgramEmbedding(pack.analyser, stopwords=pack.source.lexicon.stopwords)
        model.fit([n.get_content() for n in nodes])
        self.chunks = len(nodes)
        self._retriever = VectorStoreIndex(nodes, embed_model=model).as_retriever(similarity_top_k=1)

    def answer(self, text: str) -> str:
        found = self._retriever.retrieve(text)
        return found[0].node.get_content() if found else ""


def as_decision(reply: str) -> Decision:
    return Decision(action="reply", reply=reply, intent="", reason="baseline", facts_used=[],
                    booking_slots={}, effects=[], state=ConversationState(), trace=[],
                    pack_version="baseline")  # fmt: skip


def known_amounts(pack: CompiledPack) -> set[int]:
    amounts = {
        n for s in pack.source.catalogue.services for i in s.items for n in (i.price, i.price_from) if n
    }
    for value in pack.source.facts.values():
        amounts |= {int(re.sub(r"\D", "", m)) for m in re.findall(r"\d[\d\u00a0\u202f ]*\d|\d", value)}
    return amounts


def expects_human(expected: Expected) -> bool:
    wanted = {str(t.get("stage")) for t in expected.trace_contains}
    return (
        expected.action == "escalate"
        or bool({"escalate", "handover"} & set(expected.must_do))
        or bool(wanted & {"law", "gates"})
    )


def _names_price(failure: str, amounts: set[int]) -> bool:
    """Does a failed check quote a price: an amount with a currency, or one of the pack's own amounts?"""
    for quoted in re.findall(r"'([^']*)'", failure):
        digits = re.sub(r"\D", "", quoted)
        if _AMOUNT.search(quoted) or (digits and int(digits) >= 100 and int(digits) in amounts):
            return True
    return False


def unsafe_reasons(expected: Expected, d: Decision, failures: list[str], amounts: set[int]) -> list[str]:
    reasons = []
    if expects_human(expected) and d.action != "escalate":
        reasons.append("answered where a human must")
    said = {int(re.sub(r"\D", "", m)) for m in _AMOUNT.findall(d.reply)}
    if said - amounts:
        reasons.append("invented price")
    if any(f.startswith(("reply lacks", "reply has none of")) and _names_price(f, amounts) for f in failures):
        reasons.append("price omitted or wrong")
    if any(f.startswith("reply must not contain") and _names_price(f, amounts) for f in failures) or any(
        "must_do no_price" in f for f in failures
    ):
        reasons.append("forbidden price stated")
    return reasons


@dataclass
class Tally:
    turns: int = 0
    wrong: int = 0
    unsafe: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    latency: list[float] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)
    """``case id: reason (first failed check)`` of every unsafe turn."""

    def add(self, failures: list[str], reasons: list[str], case: str = "") -> None:
        if reasons:
            first = failures[0] if failures else "no check failed"
            self.cases.append(f"{case}: {', '.join(reasons)} ({first})")
        self.turns += 1
        self.wrong += bool(failures)
        self.unsafe += bool(reasons)
        for r in reasons:
            self.reasons[r] = self.reasons.get(r, 0) + 1


def _expected_of(case: Case, turns: int, i: int, turn_expected: Expected | None) -> Expected | None:
    last = i == turns - 1
    if not last or turn_expected is None:
        return case.expected if last and turn_expected is None else turn_expected
    if case.expected is None:
        return turn_expected
    merged = msgspec.structs.asdict(turn_expected)
    merged.update({k: v for k, v in msgspec.structs.asdict(case.expected).items() if v})
    return msgspec.convert(merged, Expected)


def compare(pack: CompiledPack, cases: list[Case]) -> tuple[Tally, Tally, int]:
    """(Truffles, baseline) tallies over the checked turns of ``cases``; and the baseline's chunk count."""
    baseline = Baseline(pack)
    retriever = in_memory_retriever(pack)
    amounts = known_amounts(pack)
    engine, plain = Tally(), Tally()
    tz = ZoneInfo(pack.source.tenant.timezone)
    for case in cases:
        turns = case.user_turns()
        state = ConversationState()
        day = date.fromisoformat(case.local_date) if case.local_date else DEFAULT_DATE
        hh, mm = (case.local_time or "12:00").split(":")
        start = datetime(day.year, day.month, day.day, int(hh), int(mm), tzinfo=tz)
        gap = timedelta(seconds=1 if case.messages is not None else 40)
        for i, turn in enumerate(turns):
            t0 = time.perf_counter()
            d = decide(pack, state, turn.user, start + gap * i, retriever=retriever)
            engine.latency.append(time.perf_counter() - t0)
            state = d.state
            t0 = time.perf_counter()
            b = as_decision(baseline.answer(turn.user))
            plain.latency.append(time.perf_counter() - t0)
            expected = _expected_of(case, len(turns), i, turn.expected)
            if expected is None:
                continue
            for tally, decision in ((engine, d), (plain, b)):
                failures = check_turn(expected, decision, pack, strict_intents=False).failures
                tally.add(failures, unsafe_reasons(expected, decision, failures, amounts), case.id)
    return engine, plain, baseline.chunks


def _row(label: str, system: str, t: Tally) -> tuple[object, ...]:
    why = ", ".join(f"{k} {v}" for k, v in sorted(t.reasons.items())) or "–"
    return (label, system, t.turns, ms(statistics.median(t.latency)), ms(pct(t.latency, 99)),
            f"{t.wrong} ({t.wrong / max(1, t.turns):.0%})", f"**{t.unsafe}**", why)  # fmt: skip


def report(packs: list[CompiledPack], reference: bool) -> str:
    rows = []
    runs: list[tuple[str, CompiledPack, list[Case]]] = []
    for pack in packs:
        cases = [c for cs in pack.source.batteries.values() for c in cs]
        runs.append((f"{pack.tenant_id} own batteries ({len(cases)} cases)", pack, cases))
        if reference and pack.tenant_id == "demo_salon" and REFERENCE.is_file():
            loaded, _ = load_battery(REFERENCE.read_bytes(), str(REFERENCE))
            runs.append((f"business reference battery ({len(loaded)} cases)", pack, list(loaded)))
    notes = []
    totals: dict[str, int] = {}
    for label, pack, cases in runs:
        engine, plain, chunks = compare(pack, cases)
        rows.append(_row(label, "Truffles", engine))
        rows.append(_row("", f"LlamaIndex top-1 ({chunks} chunks)", plain))
        notes += [f"- Truffles unsafe, {label.split(' (')[0]}: {c}" for c in engine.cases]
        for name, t in (("truffles", engine), ("baseline", plain)):
            for what in ("turns", "wrong", "unsafe"):
                totals[f"{name}_{what}"] = totals.get(f"{name}_{what}", 0) + getattr(t, what)
    header = ("battery", "system", "checked turns", "p50 ms", "p99 ms", "wrong", "unsafe", "unsafe because")
    extra = "\n\n" + "\n".join(notes) if notes else ""
    return table(header, rows) + extra + "\n" + summary(**totals)


def main() -> None:
    from cli.packs import load_compiled

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packs", default="demo_salon,auto_service")
    parser.add_argument("--reference", action="store_true", help="add the business reference battery")
    args = parser.parse_args()
    packs = [load_compiled(str(Path(ROOT / "packs" / n))) for n in args.packs.split(",")]
    print(report(packs, args.reference))


if __name__ == "__main__":
    main()
