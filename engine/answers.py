"""Stage 8: truth-first answers, composed only from the pack's facts and catalogue."""

from __future__ import annotations

from config.compile.compiled import CompiledPack
from config.compile.templates import fill
from config.schema.catalogue import PriceItem, Service
from config.schema.intents import DurationAnswer, Intent, PriceAnswer, ServicePresenceAnswer
from config.text.morph import is_function_word, part_of_speech
from engine.turn import Turn

__all__ = ["Answer", "answer_intent", "format_price", "unknown_words"]

Answer = tuple[str, tuple[str, ...]]  # (text, facts used)


def format_price(amount: int, currency: str) -> str:
    return f"{amount:,}".replace(",", " ") + f" {currency}"


def _line(pack: CompiledPack, item: PriceItem) -> str:
    currency = pack.source.catalogue.currency
    if item.price is not None:
        text = fill(
            pack.templates["price_line"], {"item": item.name, "price": format_price(item.price, currency)}
        )
    else:
        amount = format_price(item.price_from or 0, currency)
        text = fill(pack.templates["price_from_line"], {"item": item.name, "price": amount})
    extra = ", ".join(x for x in (item.unit, item.note) if x)
    return f"{text} ({extra})" if extra else text


def unknown_words(turn: Turn) -> list[str]:
    """Content words the catalogue doesn't know and the question wording doesn't explain."""
    pack = turn.pack
    vocab: frozenset[str] = pack.extras.get("question_vocab", frozenset())
    stop = set(pack.source.lexicon.stopwords) | set(pack.catalogue.generic)
    covered: set[int] = set()
    for m in pack.catalogue.mentions(turn.analysed):
        covered.update(range(m.start, m.end))
    from config.text.when import find_when

    for start, end in find_when(turn.analysed, turn.local).spans:
        covered.update(range(start, end))
    out = []
    for i, lem in enumerate(turn.analysed.lemmas):
        if i in covered or lem in vocab or lem in stop or len(lem) < 3 or lem.isdigit():
            continue
        if is_function_word(turn.analysed.tokens[i]):
            continue
        out.append(turn.analysed.tokens[i])
    return out


def qualifiers(turn: Turn) -> list[str]:
    """Unknown adjectives next to a named service: «пробную причёску» is not in the catalogue
    even though «причёска» is, so the honest answer is not «да, делаем»."""
    unknown = set(unknown_words(turn))
    near: set[int] = set()
    for m in turn.pack.catalogue.mentions(turn.analysed):
        near.update((m.start - 1, m.end))
    tokens = turn.analysed.tokens
    return [
        tokens[i]
        for i in sorted(near)
        if 0 <= i < len(tokens)
        and tokens[i] in unknown
        and part_of_speech(tokens[i]) in ("ADJF", "ADJS", "PRTF")
    ]


def _price(turn: Turn, services: list[Service], offer: bool) -> Answer:
    pack = turn.pack
    matches = pack.catalogue.item_matches(turn.analysed)
    if not matches and not services and turn.state.last_services:
        matches = pack.catalogue.item_matches(turn.analysed, within=turn.state.last_services[0])
    lines: list[str] = []
    facts: list[str] = []
    if matches:
        for m in matches:
            _, item = pack.catalogue.items[m.item_id]
            lines.append(_line(pack, item))
            facts.append(f"price:{item.id}")
        text = "\n".join(lines) if len(lines) > 1 else lines[0] + "."
    elif services:
        blocks = []
        for service in services:
            items = [_line(pack, i) for i in service.items]
            facts.extend(f"price:{i.id}" for i in service.items)
            head = fill(pack.templates["price_intro"], {"service": service.name})
            blocks.append(
                head + "\n" + "\n".join(f"• {x}" for x in items)
                if items
                else fill(pack.templates["duration_unknown"], {"service": service.name.lower()})
            )
        text = "\n".join(blocks)
    elif unknown_words(turn):
        return _not_found(pack), ()
    else:
        return pack.templates["price_needs_service"], ()
    if offer:
        text += "\n" + pack.templates["price_offer_booking"]
    return text, tuple(facts)


def _not_found(pack: CompiledPack) -> str:
    return fill(pack.templates["not_found"], {"suggestions": ", ".join(pack.source.catalogue.suggestions)})


def _duration(turn: Turn, services: list[Service], answer: DurationAnswer) -> Answer | None:
    pack = turn.pack
    if not services:
        if answer.redirect_to and turn.state.last_topic in answer.redirect_after:
            return None  # the caller answers `redirect_to` instead
        if unknown_words(turn):
            return _not_found(pack), ()
        return pack.templates["duration_needs_service"], ()
    parts = []
    facts = []
    for service in services:
        if service.duration:
            parts.append(f"{service.name}: {service.duration[0].lower()}{service.duration[1:]}.")
            facts.append(f"duration:{service.id}")
        else:
            parts.append(fill(pack.templates["duration_unknown"], {"service": service.name.lower()}))
    return " ".join(parts), tuple(facts)


def _presence(turn: Turn, services: list[Service]) -> Answer:
    pack = turn.pack
    if not services or qualifiers(turn):
        # «Делаете пробную причёску?»: a qualifier the catalogue doesn't know is not a «да».
        return (_not_found(pack), ()) if unknown_words(turn) else (pack.templates["price_needs_service"], ())
    names = ", ".join(s.name.lower() for s in services)
    head = fill(pack.templates["presence_yes"], {"service": names})
    prices, facts = _price(turn, services, offer=True)
    return head.rstrip(".") + ".\n" + prices, facts


def answer_intent(turn: Turn, intent: Intent, services: list[Service]) -> Answer | None:
    """The reply for an answer-kind intent; ``None`` when the intent defers (duration redirect)."""
    answer = intent.answer
    if isinstance(answer, PriceAnswer):
        return _price(turn, services, answer.offer_booking)
    if isinstance(answer, DurationAnswer):
        result = _duration(turn, services, answer)
        if result is None and answer.redirect_to:
            target = turn.pack.intents[answer.redirect_to]
            turn.notes["answered_as"] = target.id
            return answer_intent(turn, target, services)
        return result
    if isinstance(answer, ServicePresenceAnswer):
        return _presence(turn, services)
    text = turn.pack.intent_texts.get(intent.id)
    if text is None:
        return None
    return text, turn.pack.intent_facts.get(intent.id, ())
