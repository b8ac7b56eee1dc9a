"""Compile a valid ``PackSource`` into a ``CompiledPack``. Deterministic, no I/O."""

from __future__ import annotations

import hashlib

import msgspec

from config.compile.catalogue_index import CatalogueIndex
from config.compile.compiled import OFF_TOPIC, CompiledPack, Example
from config.compile.masking import matching_text
from config.compile.rules import compile_trigger
from config.compile.templates import resolve_facts
from config.schema.intents import ConsultAnswer, TemplateAnswer
from config.schema.pack import PackSource
from config.schema.rules import Trigger
from config.text.analyse import TextAnalyser
from config.text.terms import compile_term

__all__ = ["compile_pack", "pack_version"]


def pack_version(source: PackSource) -> str:
    """Content hash of everything that changes behaviour (batteries excluded)."""
    behaviour = msgspec.structs.replace(source, batteries={})
    return hashlib.sha256(msgspec.json.encode(behaviour, order="sorted")).hexdigest()[:12]


def intent_about(source: PackSource) -> dict[str, frozenset[str]]:
    """Per intent with ``about``: the service ids it is tied to (a category stands for its services)."""
    by_category: dict[str, set[str]] = {}
    for service in source.catalogue.services:
        by_category.setdefault(service.category, set()).add(service.id)
    return {
        intent.id: frozenset(s for name in intent.about for s in by_category.get(name, {name}))
        for intent in source.intents
        if intent.about
    }


def compile_pack(source: PackSource) -> CompiledPack:
    analyser = TextAnalyser(source.lexicon.replace)
    catalogue = CatalogueIndex(source.catalogue, analyser)
    stopwords = frozenset(w for sw in source.lexicon.stopwords for w in analyser.analyse(sw).lemmas)
    examples: list[Example] = []
    for intent in source.intents:
        for text in intent.examples:
            matched = matching_text(analyser.analyse(text), catalogue, stopwords, intent.mask_services)
            examples.append(Example(intent.id, text, matched, intent.mask_services))
    for anchor in source.ood.anchors:
        examples.append(
            Example(OFF_TOPIC, anchor, matching_text(analyser.analyse(anchor), catalogue, stopwords))
        )
    from config.text.ngrams import NgramIndex

    examples.sort(key=lambda e: not e.masked)
    split = sum(1 for e in examples if e.masked)
    index = NgramIndex([e.matched for e in examples[:split]])
    literal_index = NgramIndex([e.matched for e in examples[split:]])
    intent_texts: dict[str, str] = {}
    intent_facts: dict[str, tuple[str, ...]] = {}
    for intent in source.intents:
        if isinstance(intent.answer, TemplateAnswer):
            text, used = resolve_facts(intent.answer.text, source.facts)
        elif isinstance(intent.answer, ConsultAnswer):
            body = [intent.answer.lead, *(f"• {o}" for o in intent.answer.options), intent.answer.question]
            text, used = resolve_facts("\n".join(body), source.facts)
        else:
            continue
        intent_texts[intent.id] = text
        intent_facts[intent.id] = tuple(dict.fromkeys(used))
    templates: dict[str, str] = {}
    for name, raw in msgspec.structs.asdict(source.templates).items():
        if isinstance(raw, str):
            templates[name] = resolve_facts(raw, source.facts)[0]
    for name, raw in source.templates.extra.items():
        templates[name] = resolve_facts(raw, source.facts)[0]
    templates["ood_reply"] = resolve_facts(source.ood.reply, source.facts)[0]
    alias_lemmas = {
        w for s in source.catalogue.services for a in (s.name, *s.aliases) for w in analyser.analyse(a).lemmas
    }
    question_vocab = (
        frozenset(w for i in source.intents for e in i.examples for w in analyser.analyse(e).lemmas)
        - alias_lemmas
    )
    abuse_terms = source.tenant.shield.abuse_terms
    return CompiledPack(
        source=source,
        version=pack_version(source),
        analyser=analyser,
        catalogue=catalogue,
        intents={i.id: i for i in source.intents},
        intent_texts=intent_texts,
        intent_facts=intent_facts,
        examples=tuple(examples),
        index=index,
        literal_index=literal_index,
        law=tuple((t, compile_trigger(t.trigger, analyser)) for t in source.law),
        gates=tuple(
            (g, compile_trigger(g.trigger, analyser) if g.trigger else None) for g in source.policies.gates
        ),
        opt_out=compile_trigger(source.policies.opt_out.trigger, analyser),
        human_request=compile_trigger(source.policies.human_request.trigger, analyser),
        abuse=compile_trigger(Trigger(terms=list(abuse_terms)), analyser) if abuse_terms else None,
        templates=templates,
        extras={
            "question_vocab": question_vocab,
            "intent_about": intent_about(source),
            "intent_vocab": {
                i.id: frozenset(w for e in i.examples for w in analyser.analyse(e).lemmas)
                for i in source.intents
            },
            "stopwords": stopwords,
            "question_words": frozenset(
                w
                for q in source.lexicon.question_words
                for w in (*analyser.analyse(q).tokens, *analyser.analyse(q).lemmas)
            ),
            "cues": {
                i.id: tuple(compile_term(c, analyser) for c in i.cues) for i in source.intents if i.cues
            },
        },
    )
