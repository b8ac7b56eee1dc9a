"""``truffles pack check|show|new``: validate, summarise and scaffold tenant packs."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import msgspec

from cli.pack_skeleton import skeleton_files
from config.compile.compiler import compile_pack
from config.errors import Problem
from config.files import read_pack_dir
from config.lint import check_files
from config.schema.pack import PackSource
from config.text.morph import lemma

__all__ = ["check_pack", "register"]

_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    pack = subparsers.add_parser("pack", help="check, show or create tenant packs")
    commands = pack.add_subparsers(title="pack commands", metavar="ACTION")
    pack.set_defaults(handler=lambda _args: _usage(pack))
    check = commands.add_parser("check", help="validate packs; exit 1 when any has errors")
    check.add_argument("paths", nargs="+", metavar="PATH", help="pack folder(s)")
    check.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    check.add_argument("--strict", action="store_true", help="warnings fail the check too")
    check.set_defaults(handler=_check)
    show = commands.add_parser("show", help="summarise a pack: counts per file, version, compile time")
    show.add_argument("path", metavar="PATH", help="pack folder")
    show.set_defaults(handler=_show)
    new = commands.add_parser("new", help="write a commented skeleton pack")
    new.add_argument("name", metavar="NAME", help="tenant id (snake_case), also the folder name")
    new.add_argument("--dir", default="packs", help="parent folder (default: packs)")
    new.set_defaults(handler=_new)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def check_pack(path: str) -> tuple[PackSource | None, list[Problem], str | None]:
    """Load, lint and compile the pack at ``path``: (source, every problem, content version)."""
    try:
        files = read_pack_dir(path)
    except OSError as exc:
        return None, [Problem(file=".", message=f"cannot read the pack: {exc}", code="io")], None
    source, problems = check_files(files)
    if source is None or any(p.severity == "error" for p in problems):
        return source, problems, None
    try:
        return source, problems, compile_pack(source).version
    except Exception as exc:  # lint should have caught it: say so instead of crashing
        problems.append(
            Problem(
                file=".",
                code="compile",
                message=f"compiling failed: {type(exc).__name__}: "
                f"{exc}; the linter missed this, please report it",
            )
        )
        return source, problems, None


def _shown(pack: str, problem: Problem) -> Problem:
    file = pack.rstrip("/") if problem.file == "." else f"{pack.rstrip('/')}/{problem.file}"
    return msgspec.structs.replace(problem, file=file)


def _check(args: argparse.Namespace) -> int:
    failed = False
    report: list[dict[str, Any]] = []
    for path in args.paths:
        _, problems, version = check_pack(path)
        errors = sum(p.severity == "error" for p in problems)
        warnings = len(problems) - errors
        failed = failed or errors > 0 or (args.strict and warnings > 0)
        shown = [_shown(path, p) for p in problems]
        if args.format == "json":
            report.extend({"pack": path, **msgspec.structs.asdict(p)} for p in shown)
            continue
        for problem in shown:
            print(problem.render())
        status = "FAILED" if errors or (args.strict and warnings) else "ok"
        tail = f", version {version}" if version else ""
        print(f"{path}: {status}: {errors} error(s), {warnings} warning(s){tail}")
    if args.format == "json":
        print(json.dumps(report, ensure_ascii=False, indent=2))
    return 1 if failed else 0


def _counts(source: PackSource) -> list[tuple[str, str]]:
    cat = source.catalogue
    rows = [
        ("facts.yaml", f"{len(source.facts)} facts"),
        (
            "services.yaml",
            f"{len(cat.categories)} categories, {len(cat.services)} services, "
            f"{sum(len(s.items) for s in cat.services)} price items",
        ),
        (
            "intents.yaml",
            f"{len(source.intents)} intents, {sum(len(i.examples) for i in source.intents)} examples",
        ),
        ("ood.yaml", f"{len(source.ood.anchors)} anchors"),
        ("law.yaml", f"{len(source.law)} LAW topics"),
        ("policies.yaml", f"{len(source.policies.gates)} gates"),
        (
            "templates.yaml",
            f"{len(msgspec.structs.fields(source.templates)) - 1 + len(source.templates.extra)} templates",
        ),
        (
            "lexicon.yaml",
            f"{len(source.lexicon.replace)} replacements, {len(source.lexicon.stopwords)} stopwords",
        ),
        ("thresholds.yaml", f"{len(source.thresholds.per_intent)} per-intent thresholds"),
        ("knowledge/", f"{len(source.knowledge)} documents"),
    ]
    rows += [(name, f"{len(cases)} cases") for name, cases in sorted(source.batteries.items())]
    return rows


def _show(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    source, problems, _ = check_pack(args.path)
    if source is None or any(p.severity == "error" for p in problems):
        for problem in problems:
            print(_shown(args.path, problem).render())
        print(f"{args.path}: cannot show a pack with errors; fix them first (`truffles pack check`)")
        return 1
    loaded = time.perf_counter()
    lemma.cache_clear()  # time the compile as a fresh process would run it (dictionary loaded)
    compiled = compile_pack(source)
    compile_ms = (time.perf_counter() - loaded) * 1000
    tenant = source.tenant
    print(f"pack     {args.path}")
    print(f"tenant   {tenant.id} — {tenant.name} ({tenant.trade})")
    print(f"version  {compiled.version}")
    print(f"compile  {compile_ms:.1f} ms (load + lint + compile {(loaded - started) * 1000:.1f} ms)")
    width = max(len(name) for name, _ in _counts(source))
    for name, text in _counts(source):
        print(f"  {name:<{width}}  {text}")
    warnings = len(problems)
    if warnings:
        print(f"{warnings} warning(s): see `truffles pack check {args.path}`")
    return 0


def _new(args: argparse.Namespace) -> int:
    if not _ID.match(args.name):
        print(
            f"truffles: pack name {args.name!r} must be a snake_case id (a-z, 0-9, _; starting with a "
            "letter), e.g. `flower_shop`",
            file=sys.stderr,
        )
        return 1
    target = Path(args.dir) / args.name
    if target.exists():
        print(
            f"truffles: {target.as_posix()} already exists; pick another name or remove it first",
            file=sys.stderr,
        )
        return 1
    for name, text in skeleton_files(args.name).items():
        file = target / name
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
    print(
        f"created {target.as_posix()}: edit the files (comments explain each), then run "
        f"`truffles pack check {target.as_posix()}`"
    )
    return 0
