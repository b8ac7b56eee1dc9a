"""``truffles knowledge``: index a pack's knowledge into Qdrant, and ask it a question.

Qdrant local mode (the default, ``var/qdrant/``) takes an exclusive lock on its path: stop the
service that owns the store before syncing into it, or set ``QDRANT_URL`` to use a server.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser("knowledge", help="index a pack's knowledge documents and facts for retrieval")
    sub = p.add_subparsers(title="knowledge commands", metavar="COMMAND")
    sync = sub.add_parser("sync", help="upsert new chunks into the tenant's collection, delete vanished ones")
    sync.add_argument("pack", help="pack folder, e.g. packs/demo_salon")
    _store_args(sync)
    sync.set_defaults(handler=_sync)
    ask = sub.add_parser("ask", help="answer one question from the indexed knowledge (shows scores)")
    ask.add_argument("pack", help="pack folder, e.g. packs/demo_salon")
    ask.add_argument("question", help="the customer's question")
    _store_args(ask)
    ask.set_defaults(handler=_ask)
    p.set_defaults(handler=lambda _args: (p.print_help(sys.stderr), 2)[1])


def _store_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", default=None, help="Qdrant local-mode path (default var/qdrant)")
    p.add_argument("--url", default=None, help="Qdrant server URL (default $QDRANT_URL; overrides --store)")


def _sync(args: argparse.Namespace) -> int:
    from cli.packs import PackLoadFailed, load_compiled
    from retrieval import RetrievalError, open_qdrant, sync_pack, tenant_store

    try:
        pack = load_compiled(args.pack)
    except PackLoadFailed:
        return 1
    try:
        store = tenant_store(open_qdrant(args.store, url=args.url), pack.tenant_id)
        report = sync_pack(pack, store)
    except RetrievalError as exc:
        print(f"truffles: {exc}", file=sys.stderr)
        return 1
    print(
        f"{report.tenant}: {report.total} chunks (+{report.added} new, -{report.deleted} deleted, "
        f"{report.kept} unchanged) in {report.seconds * 1000:.0f} ms; pack {report.pack_version}, "
        f"corpus {report.corpus_version}"
    )
    return 0


def _ask(args: argparse.Namespace) -> int:
    from cli.packs import PackLoadFailed, load_compiled
    from retrieval import PackRetriever, RetrievalError, open_qdrant, tenant_store

    try:
        pack = load_compiled(args.pack)
    except PackLoadFailed:
        return 1
    try:
        retriever = PackRetriever(pack, tenant_store(open_qdrant(args.store, url=args.url), pack.tenant_id))
    except RetrievalError as exc:
        print(f"truffles: {exc}", file=sys.stderr)
        return 1
    for c in retriever.candidates(args.question):
        print(f"{c.confidence:.3f} (dense {c.dense:.3f}, coverage {c.coverage:.2f})  {c.source}")
    found = retriever.answer(args.question)
    threshold = pack.source.thresholds.retrieval
    if found is None:
        print("no answer: nothing retrieved")
        return 0
    verdict = "would reply" if found.grounded and found.confidence >= threshold else "would not reply"
    print(f"\n{verdict} (confidence {found.confidence:.3f}, threshold {threshold}, {found.grounding}):")
    print(found.text)
    return 0
