"""``truffles decide`` (one message) and ``truffles chat`` (an interactive conversation)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

import msgspec

from cli.packs import PackLoadFailed, load_compiled
from engine import ConversationState, Decision, decide

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    d = subparsers.add_parser("decide", help="decide one customer message and print the decision")
    d.add_argument("pack")
    d.add_argument("text")
    d.add_argument("--json", action="store_true", help="print the whole Decision as JSON")
    d.add_argument("--at", help="ISO time with offset, e.g. 2026-03-04T23:30+05:00 (default: now)")
    d.set_defaults(handler=_decide)
    c = subparsers.add_parser("chat", help="chat with a pack as a customer (state kept between lines)")
    c.add_argument("pack")
    c.add_argument("--trace", action="store_true", help="print the stage-by-stage trace after each reply")
    c.set_defaults(handler=_chat)


def _now(at: str | None) -> datetime:
    if not at:
        return datetime.now(UTC)
    parsed = datetime.fromisoformat(at)
    if parsed.tzinfo is None:
        raise SystemExit(f"truffles: --at {at!r} needs a UTC offset, e.g. {at}+05:00")
    return parsed


def _print_trace(d: Decision) -> None:
    for e in d.trace:
        extra = f" {e.scores}" if e.scores else ""
        matched = f" ← {e.matched}" if e.matched else ""
        print(f"   · {e.stage:<13} {e.decision:<12} {e.reason}{extra}{matched}")


def _decide(args: argparse.Namespace) -> int:
    try:
        pack = load_compiled(args.pack)
    except PackLoadFailed:
        return 1
    d = decide(pack, ConversationState(), args.text, _now(args.at))
    if args.json:
        sys.stdout.write(msgspec.json.format(msgspec.json.encode(d).decode(), indent=2) + "\n")
    else:
        print(f"[{d.action}/{d.intent}{' — ' + d.reason if d.reason else ''}]\n{d.reply}")
        _print_trace(d)
    return 0


def _chat(args: argparse.Namespace) -> int:
    try:
        pack = load_compiled(args.pack)
    except PackLoadFailed:
        return 1
    state = ConversationState()
    print(f"Chatting with {pack.source.tenant.name} (pack {pack.version}). Empty line or Ctrl-D to stop.")
    while True:
        try:
            line = input("вы> ").strip()
        except EOFError:
            break
        if not line:
            break
        d = decide(pack, state, line, datetime.now(UTC))
        state = d.state
        print(f"бот [{d.action}/{d.intent}]> {d.reply or '(no reply)'}")
        if args.trace:
            _print_trace(d)
    return 0
