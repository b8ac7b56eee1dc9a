"""Malformed, oversized and unicode-hostile webhooks, on SQLite and on PostgreSQL + Redis.

Each either gets a clear 4xx (problem details, nothing written anywhere) or is processed as usual:
stored exactly once, as the text every database accepts, decided by the engine, answered.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select, text

from channels.chatflow._fields import clean_text
from channels.chatflow.player import build_inbound_payload, new_message_id
from storage import Database
from storage.models import Base
from tests.e2e.fixtures import Backend
from tests.e2e.harness import SECRET, Service, running_service, service_settings, wait_until

pytestmark = pytest.mark.anyio

JID = "77015550000@s.whatsapp.net"


def row_counts(db: Database) -> dict[str, int]:
    """Rows per table: the proof that a refused request wrote nothing, not even half of a message."""
    with db.engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"]
    return body


def payload(
    message: str, *, name: str = "Клиент", message_id: str | None = None, phone: str = "77015550000"
) -> bytes:
    """A ChatFlow body serialised like the standard library does (lone surrogates as escapes)."""
    raw = build_inbound_payload("demo_salon", "x", phone=phone, message_id=message_id or new_message_id())
    raw["body"]["message"] = message
    raw["body"]["metadata"]["sender"] = name
    return json.dumps(raw).encode()


VALID = json.loads(payload("Сколько стоит маникюр?"))
MALFORMED = {
    "empty body": b"",
    "whitespace": b"  \n",
    "truncated JSON": payload("Сколько стоит маникюр?")[:-7],
    "array instead of an object": b"[" + payload("hi") + b"]",
    "string instead of an object": b'"hello"',
    "null": b"null",
    "message of the wrong type": json.dumps(
        {**VALID, "body": {**VALID["body"], "message": {"text": "hi"}}}
    ).encode(),
    "metadata as a list": json.dumps({**VALID, "body": {**VALID["body"], "metadata": [1, 2]}}).encode(),
    "message id as an object": json.dumps(
        {**VALID, "body": {**VALID["body"], "metadata": {**VALID["body"]["metadata"], "messageId": {"a": 1}}}}
    ).encode(),
    "huge integer id": payload("hi").replace(b'"messageId": "', b'"messageId": 1' + b"9" * 400 + b', "x": "'),
    "huge float timestamp": json.dumps(
        {**VALID, "body": {**VALID["body"], "metadata": {**VALID["body"]["metadata"], "timestamp": 1e308}}}
    ).encode(),
    "deeply nested": b'{"body": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    "message id longer than the column": payload("hi", message_id="A" * 201),
    "not UTF-8": b'{"body": {"message": "\xff\xfe"}}',
    "form-encoded": b"message=hi&remoteJid=77015550000",
}


@pytest.mark.parametrize("content", MALFORMED.values(), ids=MALFORMED.keys())
async def test_malformed_bodies_get_400_problem_details_and_write_nothing(
    service: Service, content: bytes
) -> None:
    before = row_counts(service.rt.db)
    problem(await service.post(None, content=content), 400)
    assert row_counts(service.rt.db) == before


async def test_the_content_type_is_not_trusted_a_json_body_is_read_as_json(service: Service) -> None:
    """ChatFlow accounts differ in the content type they send; the body decides."""
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/octet-stream"):
        response = await service.client.post(
            "/webhooks/chatflow/demo_salon",
            content=payload("Где вы находитесь?"),
            headers={"X-Webhook-Secret": SECRET, "Content-Type": content_type},
        )
        assert response.status_code == 200 and response.json()["status"] == "stored", response.text


async def test_a_body_over_the_limit_gets_413_problem_details_and_writes_nothing(backend: Backend) -> None:
    settings = service_settings(max_body_bytes=4096)
    async with running_service(
        backend.db, settings=settings, redis_client=backend.redis, workers=False
    ) as svc:
        before = row_counts(svc.rt.db)
        problem(await svc.post(None, content=payload("я" * 3000)), 413)
        problem(await svc.post(None, content=payload("a", name="b" * 5000)), 413)
        assert row_counts(svc.rt.db) == before
        assert (await svc.post(None, content=payload("я" * 300))).status_code == 200  # under the limit


UNICODE = {
    "zero-width joiner family": "Сколько стоит маникюр? 👨\u200d👩\u200d👧\u200d👦",
    "rtl marks": "\u202eСколько стоит педикюр?\u202c \u200fمرحبا\u200f",
    "combining characters": "Сколько сто\u0301ит стрижка? Z\u0351\u0352\u0353a\u0354\u0355lgo",
    "emoji with skin tones": "Маникюр 💅🏽💅🏿 👍🏻 сколько?",
    "nul inside": "Сколько\x00 стоит\x00 маникюр?",
    "lone surrogate (a cut emoji)": "Где вы находитесь? \ud83d",
    "kazakh letters": "Маникюр қанша тұрады? Әсем, ғ, ң, ө, ұ, ү, һ, і",
    "a very long single word": "а" * 20_000,
    "only invisible characters": "\u200b\u200c\u200d\u2060\ufeff",
    "control characters": "\x01\x02\x07\x1b[31mманикюр\x1b[0m",
}


async def test_unicode_edge_cases_are_stored_cleaned_decided_and_answered(service: Service) -> None:
    phones = {}
    for i, (label, message) in enumerate(UNICODE.items()):
        phone = f"7701555{i:04d}"
        response = await service.post(
            None, content=payload(message, name=f"Ай\x00гүл \ud800{label}", phone=phone)
        )
        assert response.status_code == 200 and response.json()["status"] == "stored", (label, response.text)
        phones[phone] = message
    store = service.store()
    for phone, message in phones.items():
        conversation = store.conversations.find_by_jid(f"{phone}@s.whatsapp.net")
        assert conversation is not None
        (stored,) = [m for m in store.messages.list_for_conversation(conversation.id) if m.direction == "in"]
        assert (stored.text or "") == clean_text(message)  # nothing lost but NUL / broken surrogates
    with service.rt.db.engine.connect() as conn:
        names = (
            conn.execute(text("SELECT push_name FROM customers WHERE jid LIKE '7701555%'")).scalars().all()
        )
    assert len(names) == len(UNICODE) and all(n.startswith("Айгүл \ufffd") for n in names)
    # every customer is answered (a reply or a hand-over notice): the engine took every text
    await wait_until(lambda: len({d.jid for d in service.emulator.deliveries}) >= len(UNICODE), 30.0,
                     "a reply to every unicode message")  # fmt: skip
    for phone in phones:
        conversation = store.conversations.find_by_jid(f"{phone}@s.whatsapp.net")
        assert conversation is not None
        assert all(m.decided_at is not None for m in store.messages.list_for_conversation(conversation.id)
                   if m.direction == "in")  # fmt: skip


async def test_bytes_that_are_not_utf8_cost_only_themselves(service: Service) -> None:
    body = payload("Сколько стоит маникюр? café", phone="77015559999").replace(b"caf\\u00e9", b"caf\xe9")
    response = await service.post(None, content=body)
    assert response.status_code == 200 and response.json()["status"] == "stored", response.text
    conversation = service.store().conversations.find_by_jid("77015559999@s.whatsapp.net")
    assert conversation is not None
    (stored, *_replies) = service.store().messages.list_for_conversation(conversation.id)
    assert stored.text == "Сколько стоит маникюр? caf\ufffd"
