"""``truffles telegram setup TENANT``: register the tenant bot's webhook with its secret token."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from channels.errors import TelegramError
from channels.telegram import DEFAULT_TELEGRAM_BASE_URL, TelegramClient
from cli.packs import PackLoadFailed, load_compiled
from workers.telegram_desk import TenantTelegram, tenant_telegram

__all__ = ["register", "setup_webhook", "webhook_url"]


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    t = subparsers.add_parser("telegram", help="the managers' Telegram desk")
    sub = t.add_subparsers(title="telegram commands", metavar="COMMAND")
    s = sub.add_parser("setup", help="setWebhook for a tenant's bot, with its secret token")
    s.add_argument("tenant", help="tenant id (a folder under --packs-dir)")
    s.add_argument("--packs-dir", default=os.environ.get("TRUFFLES_PACKS_DIR", "packs"))
    s.add_argument(
        "--public-url",
        default=os.environ.get("TRUFFLES_PUBLIC_BASE_URL", ""),
        help="where Telegram reaches this service (default $TRUFFLES_PUBLIC_BASE_URL)",
    )
    s.add_argument(
        "--api-url",
        default=os.environ.get("TRUFFLES_TELEGRAM_BASE_URL") or DEFAULT_TELEGRAM_BASE_URL,
        help="Bot API root (default $TRUFFLES_TELEGRAM_BASE_URL or the real one; the emulator locally)",
    )
    s.set_defaults(handler=_setup)


def webhook_url(public_url: str, tenant_id: str) -> str:
    return f"{public_url.rstrip('/')}/webhooks/telegram/{tenant_id}"


async def setup_webhook(
    tg: TenantTelegram, public_url: str, *, api_url: str = DEFAULT_TELEGRAM_BASE_URL
) -> str:
    """Call ``setWebhook`` (URL + secret token); returns the URL registered."""
    if not tg.secret:
        raise ValueError(
            f"tenant {tg.tenant_id!r} has no Telegram webhook secret: set the env var named by "
            "channels.telegram.webhook_secret_env to a long random string"
        )
    url = webhook_url(public_url, tg.tenant_id)
    async with TelegramClient(tg.token, base_url=api_url) as client:
        await client.set_webhook(url, tg.secret, allowed_updates=["message", "callback_query"])
    return url


def _setup(args: argparse.Namespace) -> int:
    if not args.public_url.startswith(("https://", "http://")):
        print("truffles: give --public-url (or set TRUFFLES_PUBLIC_BASE_URL), e.g. https://bot.example.kz",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        pack = load_compiled(str(Path(args.packs_dir) / args.tenant))
    except PackLoadFailed:
        return 1
    tg = tenant_telegram(pack, os.environ)
    if tg is None:
        settings = pack.source.tenant.channels.telegram
        print(
            f"truffles: tenant {args.tenant!r} has no Telegram bot or manager group: set "
            f"{settings.bot_token_env or 'channels.telegram.bot_token_env'} and "
            "channels.telegram.manager_chat_id",
            file=sys.stderr,
        )
        return 1
    try:
        url = asyncio.run(setup_webhook(tg, args.public_url, api_url=args.api_url))
    except (ValueError, TelegramError) as exc:
        print(f"truffles: telegram setup {args.tenant}: {exc}", file=sys.stderr)
        return 1
    print(f"webhook of {args.tenant} set to {url} (secret token from the environment)")
    return 0
