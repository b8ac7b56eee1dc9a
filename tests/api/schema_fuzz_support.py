"""The real app (as the service tests build it) under schemathesis: runtime, schema, checks.

The OpenAPI schema the app serves says nothing about webhook bodies (the handlers read raw bytes and
parse them leniently), so :func:`fuzz_schema` adds a request body to the two ChatFlow routes and the
Telegram route: a loose description of a ChatFlow message / a Telegram update. Schemathesis generates
bodies from it (positive) and breaks them (negative: wrong types, missing fields, other media types);
arbitrary bytes are fuzzed by ``tests/channels/test_inbound_fuzz.py`` and ``test_bad_payloads.py``.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
import schemathesis
from litestar import Litestar
from schemathesis.specs.openapi.schemas import OpenApiSchema

from api.app import create_app
from channels.chatflow.emulator import create_chatflow_emulator_app
from channels.serving import serve_in_thread
from channels.telegram.emulator import create_telegram_emulator_app
from config.settings import load_settings
from storage import Database
from tests.e2e.harness import ADMIN_TOKEN, SECRET, TOKEN, demo_pack, service_settings
from tests.telegram.harness import CHAT, TG_SECRET, TG_TOKEN
from workers.runtime import Runtime
from workers.service import build_runtime

__all__ = ["REQUEST_TIMEOUT", "FuzzedApp", "fuzz_schema", "fuzzed_app", "problem_failure"]

REQUEST_TIMEOUT = 10.0
"""Seconds one request may take in-process before the test fails as a hang."""
MEDIA_SECRET = "media-secret-for-schema-fuzz-0123456789abcdef"

_TEXT = {"type": "string", "maxLength": 300}
_CHATFLOW_MESSAGE = {
    "type": "object",
    "properties": {
        "client_slug": {"enum": ["demo_salon", "auto_service"]},
        "body": {
            "type": "object",
            "properties": {
                "message": _TEXT,
                "messageType": {"enum": ["text", "image", "ptt", "document", "video", "sticker"]},
                "mediaData": {
                    "type": ["object", "null"],
                    "properties": {
                        "url": {"type": "string"},
                        "mimetype": {"type": "string"},
                        "size": {"type": ["integer", "number", "string"]},
                        "caption": _TEXT,
                    },
                },
                "metadata": {
                    "type": "object",
                    "properties": {
                        "messageId": {"type": ["string", "integer"], "pattern": "^[A-Z0-9]{1,40}$"},
                        "remoteJid": {"type": "string", "pattern": "^7[0-9]{10}@(s\\.whatsapp\\.net|lid)$"},
                        "sender": _TEXT,
                        "timestamp": {"type": ["integer", "string", "number"]},
                        "fromMe": {"type": "boolean"},
                    },
                    "required": ["messageId", "remoteJid"],
                },
            },
            "required": ["message", "metadata"],
        },
    },
    "required": ["body"],
}
_INT = {"type": "integer", "minimum": 1, "maximum": 2**31}
_USER = {
    "type": "object",
    "properties": {"id": _INT, "is_bot": {"type": "boolean"}, "first_name": _TEXT},
    "required": ["id", "is_bot", "first_name"],
}
_TG_MESSAGE = {
    "type": "object",
    "properties": {
        "message_id": _INT,
        "date": _INT,
        "chat": {
            "type": "object",
            "properties": {"id": {"enum": [CHAT, 1]}, "type": {"enum": ["supergroup", "private"]}},
            "required": ["id", "type"],
        },
        "from": _USER,
        "message_thread_id": _INT,
        "text": _TEXT,
    },
    "required": ["message_id", "date", "chat"],
}
_TELEGRAM_UPDATE = {
    "type": "object",
    "properties": {
        "update_id": _INT,
        "message": _TG_MESSAGE,
        "callback_query": {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "from": _USER,
                "chat_instance": {"type": "string"},
                "message": _TG_MESSAGE,
                "data": _TEXT,
            },
            "required": ["id", "from", "chat_instance"],
        },
    },
    "required": ["update_id"],
}
BODIES = {
    "/webhooks/chatflow/{tenant_id}": _CHATFLOW_MESSAGE,
    "/webhook/{tenant_id}": _CHATFLOW_MESSAGE,
    "/webhooks/telegram/{tenant_id}": _TELEGRAM_UPDATE,
}


@dataclass
class FuzzedApp:
    rt: Runtime
    app: Litestar
    schema: OpenApiSchema


def fuzz_schema(app: Litestar) -> OpenApiSchema:
    """The app's own OpenAPI schema, plus the webhook request bodies described above."""
    served = schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    raw: dict[str, Any] = copy.deepcopy(served.raw_schema)
    for path, body in BODIES.items():
        raw["paths"][path]["post"]["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = app
    return schema


@contextmanager
def fuzzed_app(db: Database, media_dir: Path, redis_client: redis.Redis | None = None) -> Iterator[FuzzedApp]:
    """demo_salon with its Telegram desk and media links, over ``db``; no worker threads (the webhook
    only stores and enqueues)."""
    cf = create_chatflow_emulator_app(tokens={TOKEN})
    tg = create_telegram_emulator_app()
    tg.world.add_bot(TG_TOKEN, "Truffles", "truffles_salon_bot")
    tg.world.add_chat(CHAT, "Салон Мира — менеджеры")
    settings = service_settings(media_dir=str(media_dir))
    if redis_client is not None:
        fields = {name: getattr(settings, name) for name in settings.__struct_fields__}
        settings = load_settings({}, **{**fields, "broker": "redis"})
    overrides = {
        "demo_salon": {
            "webhook_secret": SECRET,
            "chatflow_token": TOKEN,
            "telegram_token": TG_TOKEN,
            "telegram_secret": TG_SECRET,
        }
    }
    with serve_in_thread(cf) as cf_url, serve_in_thread(tg) as tg_url:
        rt = build_runtime(
            settings, packs=[demo_pack()], db=db, migrate=False, chatflow_base_url=f"{cf_url}/api/v1",
            telegram_base_url=tg_url, redis=redis_client, overrides=overrides,
            broker_namespace=f"truffles-fuzz-{uuid.uuid4().hex[:8]}",
            environ={settings.media_secret_env: MEDIA_SECRET},
        )  # fmt: skip
        app = create_app(rt, environ={rt.settings.admin_token_env: ADMIN_TOKEN})
        try:
            yield FuzzedApp(rt, app, fuzz_schema(app))
        finally:
            app.state.edge.discard()  # the fuzzer's event loops are gone; no lifespan ran
            closer = getattr(rt.sender, "close", None)
            if callable(closer):
                closer()
            if rt.telegram is not None:
                rt.telegram.gateway.close()


def problem_failure(status: int, content_type: str, body: bytes) -> str | None:
    """Why a 4xx/5xx response is not RFC 9457 problem details with a matching status (``None``: it is)."""
    if status < 400:
        return None
    if not content_type.startswith("application/problem+json"):
        return f"{status} answered with content-type {content_type!r}, not application/problem+json"
    import json

    try:
        problem = json.loads(body)
    except ValueError:
        return f"{status} problem body is not JSON: {body[:120]!r}"
    if not isinstance(problem, dict) or problem.get("status") != status or not problem.get("detail"):
        return f"{status} problem body lacks a matching status or a detail: {body[:200]!r}"
    return None
