from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec
import pytest

from engine import ConversationState, decide
from tests.engine.conftest import Chat


def test_price_answer_comes_from_the_catalogue_and_offers_booking(chat: Chat) -> None:
    d = chat.say("Скок стоит маник?")
    assert d.action == "reply" and d.intent == "price"
    assert "2 500 ₸" in d.reply and "3 500 ₸" in d.reply and "7 000 ₸" in d.reply
    assert "Хотите записаться" in d.reply
    assert "price:manicure_classic" in d.facts_used


def test_specific_price_item_is_resolved_by_its_words(chat: Chat) -> None:
    d = chat.say("Цена окрашивания в один тон на среднюю длину?")
    assert "15 000 ₸" in d.reply and "12 000" not in d.reply


def test_unknown_service_is_not_invented(chat: Chat) -> None:
    d = chat.say("Почем ботокс для волос?")
    assert d.action == "reply" and "нет такой позиции" in d.reply
    assert "₸" not in d.reply


def test_price_question_without_a_service_asks_which(chat: Chat) -> None:
    assert "какая именно услуга" in chat.say("Сколько стоит процедура?").reply.lower()


def test_payment_question_escalates_even_with_price_words(chat: Chat) -> None:
    d = chat.say("Сколько стоит маникюр и можно оплатить Kaspi?")
    assert d.action == "escalate" and d.intent == "payment"
    assert "kaspi" not in d.reply.lower() and "₸" not in d.reply
    assert any(e.kind == "handover" for e in d.effects)


def test_hygiene_question_is_not_medical(chat: Chat) -> None:
    d = chat.say("Как вы стерилизуете инструменты?")
    assert d.action == "reply" and d.intent == "hygiene" and "сухожар" in d.reply


def test_pregnancy_question_escalates_as_medical(chat: Chat) -> None:
    d = chat.say("Я беременна, можно ламинирование ресниц?")
    assert (d.action, d.intent) == ("escalate", "medical")


def test_human_request_is_never_pre_empted_by_a_confident_answer(chat: Chat) -> None:
    d = chat.say("Сколько стоит стрижка? Позовите менеджера")
    assert (d.action, d.intent) == ("escalate", "human_request")


def test_opt_out_beats_booking_and_mutes(chat: Chat) -> None:
    chat.say("Хочу записаться на маникюр")
    d = chat.say("Не пишите мне больше, хочу записаться")
    assert d.intent == "opt_out" and d.state.muted and d.state.booking is None
    assert chat.say("ок").action == "silent"


def test_reschedule_is_escalated_without_claiming_it_was_done(chat: Chat) -> None:
    d = chat.say("Перенесите мою запись на пятницу")
    assert d.action == "escalate" and d.intent == "reschedule"
    assert "перенес" not in d.reply.lower()


def test_lateness_within_and_over_the_allowed_minutes(chat: Chat) -> None:
    assert chat.say("Если опоздаю на 10 минут, примете?").action == "reply"
    assert chat.say("Я опоздаю на 40 минут").action == "escalate"


def test_booking_collects_one_field_at_a_time_and_never_confirms(chat: Chat) -> None:
    d = chat.say("Хочу записаться на педикюр")
    assert d.action == "booking_flow" and d.booking_slots == {"service": "педикюр"}
    d = chat.say("в пятницу в 15:30")
    assert d.booking_slots["datetime"].endswith("15:30") and "обращаться" in d.reply
    d = chat.say("Айгерим")
    assert d.booking_slots["name"] == "Айгерим" and "номер" in d.reply
    d = chat.say("+7 701 234 56 78")
    assert d.action == "booking_flow"
    assert any(e.kind == "booking_request" for e in d.effects)
    assert "подтвердит" in d.reply.lower() or "свяжется" in d.reply.lower()
    assert "записал" not in d.reply.lower() and d.state.booking is None


def test_same_day_booking_gets_the_gate_note_and_is_urgent(chat: Chat) -> None:
    d = chat.say("Запишите на брови сегодня в 18:00")
    assert d.action == "booking_flow" and "администратор проверит" in d.reply
    assert d.state.booking is not None and d.state.booking.urgent


def test_live_smoke_three_messages(chat: Chat) -> None:
    d = chat.say("Сколько стоит маникюр, сколько длится, где находитесь и можно записаться?")
    assert d.action == "reply"
    for fact in ("2 500 ₸", "45–90 минут", "Абая 150", "напишите услугу"):
        assert fact in d.reply
    assert "Абая 150" in chat.say("по адресу").reply
    d = chat.say("по записи")
    assert d.action in ("booking_flow", "reply") and ("день" in d.reply or "дату" in d.reply)


def test_follow_up_about_time_after_location_means_hours(chat: Chat) -> None:
    chat.say("Где вы находитесь и до скольки работаете?")
    d = chat.say("И по времени?")
    assert "Адрес:" in d.reply and "Работаем" in d.reply


def test_context_service_expires_after_a_few_turns(chat: Chat) -> None:
    chat.say("Делаете педикюр?")
    assert "4 500" in chat.say("а сколько стоит?").reply
    for _ in range(4):
        chat.say("Где вы находитесь?")
    assert "₸" not in chat.say("а сколько стоит?").reply


def test_off_topic_gets_one_gentle_return(chat: Chat) -> None:
    d = chat.say("Расскажи анекдот")
    assert d.intent == "off_topic" and "вопросами о наших услугах" in d.reply


def test_quiet_hours_notice_outside_working_hours(chat: Chat) -> None:
    chat.now = datetime(2026, 3, 4, 23, 10, tzinfo=ZoneInfo("Asia/Almaty"))
    d = chat.say("Подскажите адрес")
    assert d.reply.startswith("Сейчас салон закрыт") and "Абая 150" in d.reply


def test_quiet_hours_notice_does_not_repeat_hours_the_reply_already_gives(chat: Chat) -> None:
    chat.now = datetime(2026, 3, 4, 23, 10, tzinfo=ZoneInfo("Asia/Almaty"))
    hours = "с 9:00 до 21:00"
    where = chat.say("Где вы находитесь?")  # the address answer states the hours itself
    assert "hours.text" in where.facts_used
    assert where.reply.startswith("Сейчас салон закрыт.\n") and where.reply.count(hours) == 1
    price = chat.say("Сколько стоит маникюр?")  # a price answer does not: the full notice gives them
    assert price.reply.startswith("Сейчас салон закрыт: ") and price.reply.count(hours) == 1


def test_spam_burst_is_dropped(chat: Chat) -> None:
    actions = [chat.say("привет", after=timedelta(seconds=1)).action for _ in range(6)]
    assert actions[-1] == "drop"


def test_unclear_message_clarifies_once_then_escalates(chat: Chat) -> None:
    assert chat.say("ммм ну такое").action == "clarify"
    assert chat.say("бла бла").action == "escalate"


def test_decide_is_deterministic_and_state_round_trips(chat: Chat) -> None:
    now = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)
    a = decide(chat.pack, ConversationState(), "Запишите на маникюр завтра в 18:00", now)
    b = decide(chat.pack, ConversationState(), "Запишите на маникюр завтра в 18:00", now)
    assert msgspec.json.encode(a) == msgspec.json.encode(b)
    restored = msgspec.json.decode(msgspec.json.encode(a.state), type=ConversationState)
    assert restored == a.state
    assert all(e.pack_version == chat.pack.version for e in a.trace)


def test_naive_clock_is_refused_with_the_fix(chat: Chat) -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        decide(chat.pack, ConversationState(), "привет", datetime(2026, 3, 4, 12, 0))


def test_an_intent_about_other_services_is_set_aside_when_the_message_names_a_service(chat: Chat) -> None:
    # The wording is closest to the gel polish aftercare, but the customer names lashes.
    lashes = chat.say("Как ухаживать за ресницами после процедуры?")
    assert lashes.intent == "consult_brows_lashes", lashes.trace
    [aside] = [e for e in lashes.trace if "set_aside" in e.data]
    assert "aftercare_gel_lac" in aside.data["set_aside"] and aside.decision == "pass"
    assert "гель-лак" not in lashes.reply.lower()
    # Naming a service it is about keeps it; naming none keeps it too (nothing says it is off).
    assert chat.say("Как ухаживать за гель-лаком после маникюра?").intent == "aftercare_gel_lac"
    unnamed = chat.say("как ухаживать за покрытием после процедуры", after=timedelta(hours=2))
    assert unnamed.intent == "aftercare_gel_lac"
    assert not [e for e in unnamed.trace if "set_aside" in e.data]
