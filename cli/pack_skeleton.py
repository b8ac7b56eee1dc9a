"""The commented skeleton pack ``truffles pack new`` writes: English comments, Russian customer text."""

from __future__ import annotations

__all__ = ["skeleton_files"]

_TENANT = """\
# tenant.yaml: who the business is and how it operates. Every weekday needs hours.
id: {tenant_id}
name: "Название бизнеса"          # shown to customers in greetings via facts; change it
trade: "describe the trade, e.g. beauty salon"
locale: ru
languages: [ru]
timezone: Asia/Almaty
hours:
  mon: {{open: "09:00", close: "20:00"}}
  tue: {{open: "09:00", close: "20:00"}}
  wed: {{open: "09:00", close: "20:00"}}
  thu: {{open: "09:00", close: "20:00"}}
  fri: {{open: "09:00", close: "20:00"}}
  sat: {{open: "10:00", close: "18:00"}}
  sun: {{closed: true}}
# Secrets are NAMES of environment variables, never the values themselves.
channels:
  chatflow:
    token_env: {env}_CHATFLOW_TOKEN
    webhook_secret_env: {env}_WEBHOOK_SECRET
  telegram:
    bot_token_env: {env}_TELEGRAM_TOKEN
    webhook_secret_env: {env}_TELEGRAM_SECRET
# Labels that shared batteries use, mapped to this pack's ids.
intent_aliases:
  payment_question: [payments]
"""

_FACTS = """\
# facts.yaml: the only truth the bot may tell. Nest freely; templates use dotted ids: {business.address}.
business:
  name: "Название бизнеса"
  address: "г. Алматы, ул. Примерная, 1"
  phone: "+7 700 000 00 00"
hours:
  text: "пн–пт 9:00–20:00, сб 10:00–18:00, вс выходной"
  open: "9:00"
"""

_SERVICES = """\
# services.yaml: the catalogue. Prices come only from here; every service names a category.
currency: "₸"
suggestions: ["услуга"]
categories:
  - id: main
    name: "Основные услуги"
services:
  - id: service_one
    name: "Услуга"
    category: main
    aliases: ["услугу", "первая услуга"]
    duration: "1 час"
    items:
      - id: service_one_basic
        name: "Услуга базовая"
        price: 5000          # or `price_from: 5000` for «от 5000»
"""

_INTENTS = """\
# intents.yaml: what customers ask. Each intent needs at least 3 example phrasings, and a phrase
# belongs to one intent only. `answer.kind` is one of: template, price, duration,
# service_presence, booking, consult.
intents:
  - id: address
    examples:
      - "где вы находитесь"
      - "какой у вас адрес"
      - "как до вас добраться"
    answer:
      kind: template
      text: "Мы находимся по адресу: {business.address}."
  - id: hours
    examples:
      - "до скольки вы работаете"
      - "какой у вас график работы"
      - "во сколько открываетесь"
    answer:
      kind: template
      text: "Мы работаем: {hours.text}."
  - id: price
    examples:
      - "сколько стоит услуга"
      - "какая цена"
      - "прайс пришлите"
    answer:
      kind: price
"""

_OOD = """\
# ood.yaml: phrases that are NOT this business's topic, and the one gentle reply to them.
anchors:
  - "какая погода завтра"
  - "расскажи анекдот"
  - "кто выиграл футбольный матч"
reply: "Я помогаю только с вопросами о наших услугах, ценах и записи."
"""

_LAW = """\
# law.yaml: topics the bot never handles itself; it always hands them to a manager with `reply`.
# `examples` must fire the topic's own trigger (`pack check` verifies it).
topics:
  - id: payments
    reason: "payments and refunds"
    trigger:
      terms: ["оплат*", "возврат*", "верните деньги"]
    reply: "Вопросы оплаты решает администратор — передаю ему ваш вопрос."
    examples:
      - "как оплатить"
      - "хочу возврат денег"
"""

_POLICIES = """\
# policies.yaml: opt-out, explicit request for a human, and gates (things the bot never does itself).
opt_out:
  trigger:
    terms: ["отпишите", "не пишите мне"]
  reply: "Хорошо, больше не будем писать."
  examples: ["не пишите мне больше"]
human_request:
  trigger:
    terms: ["администратор*", "живой человек", "менеджер*"]
  reply: "Передаю ваш вопрос администратору."
  examples: ["позовите администратора"]
gates:
  - id: reschedule
    reason: "rescheduling is done by a manager"
    trigger:
      terms: ["перенести запись", "перенос*"]
    action:
      kind: escalate        # or: reply, booking_note, minutes_limit
      reply: "Перенос записи согласует администратор — передаю ему ваш вопрос."
    examples: ["можно перенести запись"]
"""

_TEMPLATES = """\
# templates.yaml: replies the engine composes. {dotted.ids} name facts; {service}, {items},
# {price}, {when}, {summary}, … are engine slots filled at reply time.
greeting: "Здравствуйте! Это «{business.name}». Чем помочь?"
thanks: "Пожалуйста! Если появятся вопросы — пишите."
clarify: "Уточните, пожалуйста, что вас интересует: цены, запись, адрес или график?"
clarify_escalate: "Чтобы не ошибиться, передам ваш вопрос администратору."
escalate_default: "Передам ваш вопрос администратору — он ответит здесь."
shield_escalate: "Передам ваше сообщение администратору."
quiet_hours: "Сейчас мы закрыты: {hours.text}."
quiet_hours_brief: "Сейчас мы закрыты."  # optional: when the reply already gives the hours
escalation_eta_closed: "Администратор ответит, когда мы откроемся ({hours.open})."
price_intro: "{service}:"
price_offer_booking: "Хотите записаться?"
price_needs_service: "Уточните, пожалуйста, какая услуга интересует?"
not_found: "Такой позиции нет в списке услуг. Могу подсказать: {suggestions}."
duration_needs_service: "Длительность зависит от услуги. Какая интересует?"
duration_unknown: "Точную длительность {service} подскажет администратор."
presence_yes: "Да, делаем {service}."
booking_ask_service: "Какая услуга интересует и на какую дату?"
booking_ask_datetime: "На какой день и время вам удобно?"
booking_ask_time: "На какое время вам удобно?"
booking_ask_name: "Как к вам обращаться?"
booking_ask_phone: "Оставьте, пожалуйста, номер телефона."
booking_unknown_service: "Услуги «{service}» нет в нашем списке — администратор уточнит."
booking_handed_over: "Спасибо! Передал заявку администратору: {summary}. Он свяжется с вами."
booking_offer: "Напишите услугу, дату и время, имя и номер — передам заявку администратору."
media_reply: "Спасибо! Передам ваше сообщение администратору."
"""

_LEXICON = """\
# lexicon.yaml: slang and typos rewritten before matching (word or phrase → replacement).
replace:
  скока: сколько
stopwords: ["пожалуйста", "здравствуйте"]
"""

_THRESHOLDS = """\
# thresholds.yaml: matcher thresholds in [0, 1]; `per_intent` keys must be intent ids.
intent: 0.45
ood: 0.5
ambiguity_margin: 0.04
retrieval: 0.55
per_intent: {}
"""

_KNOWLEDGE = """\
# Знания о бизнесе

Документы из этой папки индексируются для поиска (retrieval). Пишите факты простым текстом.
"""

_BATTERY = """\
# batteries/smoke.yaml: eval cases. Once a pack has batteries, every LAW topic and gate needs a case.
- id: address_basic
  user: "где вы находитесь?"
  expected: {action: reply, intent: address, must_include: ["Примерная"]}
- id: payment_escalates
  user: "как оплатить?"
  expected: {action: escalate, reason: payments}
- id: reschedule_escalates
  user: "можно перенести запись на завтра?"
  expected: {action: escalate, reason: reschedule}
"""


def skeleton_files(tenant_id: str) -> dict[str, str]:
    """The skeleton's files, keyed by relative path, for tenant ``tenant_id`` (a snake_case id)."""
    env = tenant_id.upper()
    return {
        "tenant.yaml": _TENANT.format(tenant_id=tenant_id, env=env),
        "facts.yaml": _FACTS,
        "services.yaml": _SERVICES,
        "intents.yaml": _INTENTS,
        "ood.yaml": _OOD,
        "law.yaml": _LAW,
        "policies.yaml": _POLICIES,
        "templates.yaml": _TEMPLATES,
        "lexicon.yaml": _LEXICON,
        "thresholds.yaml": _THRESHOLDS,
        "knowledge/about.md": _KNOWLEDGE,
        "batteries/smoke.yaml": _BATTERY,
    }
