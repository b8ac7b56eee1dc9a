"""Answers: extractive by default, an LLM only through the grounding rail, batteries end to end."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from llama_index.core import Settings

from engine import ConversationState, decide
from evals.runner import run_cases
from retrieval import MissingExtra, PackRetriever, check_answer, llm_from_env, sync_pack
from tests.retrieval.conftest import compiled, memory_store
from tests.retrieval.fakes import ScriptedLLM

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=ZoneInfo("Asia/Almaty"))
QUESTION = "Вы заводите карточку клиента?"


def _retriever(name: str, llm: ScriptedLLM | None = None) -> PackRetriever:
    pack = compiled(name)
    store = memory_store(pack.tenant_id)
    sync_pack(pack, store)
    return PackRetriever(pack, store, llm=llm)


@pytest.mark.parametrize("name", ["demo_salon", "auto_service"])
def test_longtail_battery_passes_through_retrieval(name: str) -> None:
    pack = compiled(name)
    cases = [("longtail", c) for c in pack.source.batteries["batteries/longtail.yaml"]]
    assert len(cases) >= 15
    results = run_cases(cases, pack, strict_intents=True, retriever=_retriever(name))
    failed = [(r.id, r.turns[-1].failures) for r in results if not r.passed]
    assert not failed


def test_unanswerable_questions_are_not_answered_from_retrieval(salon_retriever: PackRetriever) -> None:
    d = decide(
        salon_retriever.pack, ConversationState(), "Делаете татуаж губ?", NOW, retriever=salon_retriever
    )
    assert d.action == "clarify"
    entry = next(t for t in d.trace if t.stage == "retrieval")
    assert entry.decision == "pass" and entry.data["grounding"] == "extractive" and entry.data["nodes"]


def test_trace_records_nodes_threshold_llm_and_grounding(salon_retriever: PackRetriever) -> None:
    d = decide(salon_retriever.pack, ConversationState(), QUESTION, NOW, retriever=salon_retriever)
    assert d.action == "reply" and "карточку клиента" in d.reply
    entry = next(t for t in d.trace if t.stage == "retrieval")
    assert entry.data["threshold"] == salon_retriever.pack.source.thresholds.retrieval
    assert entry.data["llm"] is False and entry.data["grounding"] == "extractive"
    assert entry.data["nodes"] and d.facts_used == [
        "knowledge/first_visit.md#" + d.facts_used[0].split("#")[1]
    ]


def test_an_ungrounded_llm_answer_with_a_made_up_price_is_never_sent() -> None:
    llm = ScriptedLLM(["Да, карточку заводим, это стоит 2 500 ₸."])
    retriever = _retriever("demo_salon", llm)
    d = decide(retriever.pack, ConversationState(), QUESTION, NOW, retriever=retriever)
    llm.assert_done()
    assert "2 500" not in d.reply and "2500" not in d.reply
    entry = next(t for t in d.trace if t.stage == "retrieval")
    assert entry.data["llm"] is False and "'2500'" in entry.data["grounding"]


def test_a_grounded_llm_answer_is_sent() -> None:
    llm = ScriptedLLM(["Да, при первом визите администратор заводит карточку клиента с вашими пожеланиями."])
    retriever = _retriever("demo_salon", llm)
    d = decide(retriever.pack, ConversationState(), QUESTION, NOW, retriever=retriever)
    llm.assert_done()
    assert d.action == "reply" and d.reply.startswith("Да, при первом визите")
    assert "Мира" in llm.prompts[0] and "карточку клиента" in llm.prompts[0]


def test_an_llm_answer_touching_a_law_topic_is_rejected() -> None:
    retriever = _retriever("demo_salon", ScriptedLLM(["Карточку заводим, предоплата не нужна."]))
    found = retriever.answer(QUESTION)
    assert found is not None and not found.used_llm and "payment" in found.grounding
    assert "предоплат" not in found.text


def test_an_llm_that_finds_no_answer_makes_the_answer_ungrounded() -> None:
    found = _retriever("demo_salon", ScriptedLLM(["НЕТ ОТВЕТА"])).answer(QUESTION)
    assert found is not None and not found.grounded


def test_the_llm_is_not_called_below_the_threshold() -> None:
    llm = ScriptedLLM([])  # any call fails loudly
    found = _retriever("demo_salon", llm).answer("Есть ли у вас солярий?")
    assert found is not None and found.confidence < 0.55 and not llm.prompts


def test_the_scripted_llm_fails_loudly_on_an_unexpected_call() -> None:
    with pytest.raises(AssertionError, match="unexpected extra LLM call"):
        ScriptedLLM([]).complete("?")


def test_rail_checks_numbers_names_and_addresses() -> None:
    pack = compiled("demo_salon")
    context = ["Снятие гель-лака — 1 500 ₸."]
    assert check_answer("Снятие стоит 1500 ₸, адрес: ул. Абая 150.", context, pack).ok
    bad = check_answer("Снятие стоит 1 700 ₸, ждём на ул. Кенесары 40 у Айгерим.", context, pack)
    assert not bad.ok and {"'1700'", "'40'", "'кенесары'", "'айгерим'"} <= set(
        " ".join(bad.problems).replace(" is", "").split()
    )


def test_no_global_llama_index_settings_are_used(salon_retriever: PackRetriever) -> None:
    salon_retriever.answer(QUESTION)
    assert Settings._embed_model is None and Settings._llm is None


def test_llm_is_off_without_env_and_missing_extra_names_the_install() -> None:
    assert llm_from_env({}) is None
    with pytest.raises(ValueError, match="TRUFFLES_LLM_MODEL"):
        llm_from_env({"TRUFFLES_LLM_BASE_URL": "http://127.0.0.1:9/v1"})
    try:
        import llama_index.llms.openai_like  # noqa: F401
    except ImportError:
        with pytest.raises(MissingExtra, match="--extra llm"):
            llm_from_env({"TRUFFLES_LLM_BASE_URL": "http://127.0.0.1:9/v1", "TRUFFLES_LLM_MODEL": "m"})
