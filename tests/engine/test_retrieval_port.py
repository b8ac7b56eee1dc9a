from __future__ import annotations

from dataclasses import dataclass, field

from engine import ConversationState, decide
from engine.retrieval import RetrievalAnswer
from tests.engine.conftest import Chat


@dataclass
class ScriptedRetriever:
    """Answers from a script; records every question so a test can see when the engine asked."""

    answers: dict[str, RetrievalAnswer]
    asked: list[str] = field(default_factory=list)

    def answer(self, question: str) -> RetrievalAnswer | None:
        self.asked.append(question)
        return self.answers.get(question)


def _found(text: str, confidence: float, source: str, grounded: bool = True) -> RetrievalAnswer:
    return RetrievalAnswer(text=text, confidence=confidence, sources=[source], grounded=grounded)


def test_without_a_retriever_an_unknown_question_is_clarified(chat: Chat) -> None:
    assert chat.say("Вы делаете фотосессии для портфолио?").action == "clarify"


def test_a_confident_grounded_passage_answers_the_long_tail(chat: Chat) -> None:
    q = "Вы делаете фотосессии для портфолио?"
    retriever = ScriptedRetriever({q: _found("Фотосессии не проводим.", 0.9, "knowledge/x.md#1")})
    d = decide(chat.pack, ConversationState(), q, chat.now, retriever=retriever)
    assert (d.action, d.intent, d.reply) == ("reply", "retrieval", "Фотосессии не проводим.")
    assert any(e.stage == "retrieval" and e.decision == "reply" for e in d.trace)


def test_an_ungrounded_or_unsure_passage_is_never_sent(chat: Chat) -> None:
    q = "Вы делаете фотосессии для портфолио?"
    for found in (_found("Фотосессия — 99 000 ₸.", 0.99, "k#1", grounded=False), _found("Да.", 0.2, "k#2")):
        d = decide(chat.pack, ConversationState(), q, chat.now, retriever=ScriptedRetriever({q: found}))
        assert d.action == "clarify" and found.text not in d.reply


def test_knowledge_replaces_a_rule_answer_that_misses_the_question(chat: Chat) -> None:
    q = "Какой срок действия у сертификата?"
    passage = _found("Сертификат действует 6 месяцев.", 0.95, "knowledge/gift_certificates.md#2")
    d = decide(chat.pack, ConversationState(), q, chat.now, retriever=ScriptedRetriever({q: passage}))
    assert d.intent == "retrieval" and "6 месяцев" in d.reply


def test_a_well_explained_rule_question_never_asks_retrieval(chat: Chat) -> None:
    retriever = ScriptedRetriever({})
    d = decide(chat.pack, ConversationState(), "Где вы находитесь?", chat.now, retriever=retriever)
    assert d.intent == "location" and retriever.asked == []


def test_a_passage_that_only_repeats_the_rule_fact_keeps_the_rule_answer(chat: Chat) -> None:
    q = "Какой срок действия у сертификата?"
    same = _found("Можно купить подарочный сертификат на любую сумму.", 0.99, "fact:amenities.certificates")
    d = decide(chat.pack, ConversationState(), q, chat.now, retriever=ScriptedRetriever({q: same}))
    assert d.intent == "gift_certificate"
