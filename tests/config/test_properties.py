"""Property tests: compiling is deterministic and any valid pack round-trips through its YAML files."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import msgspec
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from config.compile.compiler import compile_pack
from config.errors import PackInvalid
from config.lint import check_files, lint_pack
from config.loader import load_pack, read_pack
from config.schema.pack import PackSource
from tests.config.packs import minimal_files, pack_to_files

BASE = load_pack(minimal_files())
WORDS = st.text(alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюяAZaz0129 ,.?!-«»:", min_size=1, max_size=40)
IDS = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
SCORES = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
QUERIES = ["где вы находитесь", "сколько стоит услуга", "как оплатить", "привет"]


@st.composite
def packs(draw: st.DrawFn) -> PackSource:
    """The minimal pack with generated facts, extra examples, thresholds and tenant id."""
    extra = draw(st.dictionaries(IDS, WORDS, max_size=6))
    facts = {**BASE.facts, **{f"gen.{k}": v for k, v in extra.items()}}
    intents = [
        msgspec.structs.replace(intent, examples=[*intent.examples, *draw(st.lists(WORDS, max_size=4))])
        for intent in BASE.intents
    ]
    per_intent = draw(st.dictionaries(st.sampled_from([i.id for i in BASE.intents]), SCORES, max_size=2))
    thresholds = msgspec.structs.replace(
        BASE.thresholds,
        intent=draw(SCORES),
        ood=draw(SCORES),
        ambiguity_margin=draw(SCORES),
        per_intent=per_intent,
    )
    tenant = msgspec.structs.replace(BASE.tenant, id=draw(IDS))
    return msgspec.structs.replace(BASE, facts=facts, intents=intents, thresholds=thresholds, tenant=tenant)


@settings(max_examples=40, deadline=None)
@given(packs())
def test_compile_is_deterministic(source: PackSource) -> None:
    first, second = compile_pack(source), compile_pack(source)
    assert first.version == second.version
    assert first.examples == second.examples and first.templates == second.templates
    for query in QUERIES:
        matched = first.analyser.analyse(query).lemma_text
        assert first.index.scores(matched) == second.index.scores(matched)


@settings(max_examples=40, deadline=None)
@given(packs())
def test_any_valid_pack_round_trips_through_yaml(source: PackSource) -> None:
    files = pack_to_files(source)
    again, problems = read_pack(files)
    assert problems == []
    assert again == source
    assert again is not None and compile_pack(again).version == compile_pack(source).version


@settings(max_examples=25, deadline=None)
@given(packs())
def test_lint_never_crashes_on_a_valid_pack(source: PackSource) -> None:
    problems = lint_pack(source, pack_to_files(source))
    assert all(p.file and p.message for p in problems)


# --- bad input: whatever a file holds, loading reports problems with file:line, never raises or hangs ---

FILES = minimal_files()
YAML_FILES = sorted(n for n in FILES if n.endswith(".yaml"))
YAMLISH = st.text(alphabet=" \n\t-:,[]{}#&*!|>'\"%@`?~.0123456789aбzя\\\x00\x85\u2028\ufeff", max_size=120)
BOUNDED = settings(deadline=timedelta(seconds=5), derandomize=True, database=None)


def _check_reports_not_raises(files: dict[str, bytes], changed: str) -> None:
    """The loader's contract on any input: problems located at file:line, or a pack that compiles.

    ``check_files`` (load + lint, what ``truffles pack check`` runs) never raises; ``load_pack`` (what
    the service runs) raises only :class:`PackInvalid`; a pack without errors compiles.
    """
    source, problems = check_files(files)
    errors = [p for p in problems if p.severity == "error"]
    read, _ = read_pack(files)
    if read is None:
        with pytest.raises(PackInvalid) as caught:
            load_pack(files)
        assert caught.value.problems
    for problem in errors:
        if problem.file == changed and problem.code in ("yaml", "schema"):
            assert problem.line >= 1, problem.render()
            assert problem.render().startswith(f"{changed}:{problem.line}:")
    if not errors:
        assert source is not None
        compile_pack(source)


@settings(BOUNDED, max_examples=100)
@given(st.sampled_from(YAML_FILES), st.binary(max_size=200))
def test_any_bytes_in_a_pack_file_are_reported_with_file_and_line(name: str, data: bytes) -> None:
    _check_reports_not_raises({**FILES, name: data}, name)


@settings(BOUNDED, max_examples=120)
@given(st.sampled_from(YAML_FILES), YAMLISH)
def test_yaml_ish_text_in_a_pack_file_is_reported_with_file_and_line(name: str, text: str) -> None:
    _check_reports_not_raises({**FILES, name: text.encode("utf-8", "surrogatepass")}, name)


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["", "{missing.fact}", "[unclosed(regex", "kind", "reply", "escalate", "*", "&a"])
)
VALUES = st.recursive(
    SCALARS,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
    max_leaves=8,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*path, i))
    return found


@st.composite
def mutated_files(draw: st.DrawFn) -> tuple[dict[str, bytes], str]:
    """The minimal pack with one to three structural edits in one file: a node deleted, replaced by
    another shape, wrapped in a list, or its key renamed."""
    name = draw(st.sampled_from(YAML_FILES))
    tree = yaml.safe_load(FILES[name])
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(tree)))
        if not path:
            tree = draw(VALUES)
            continue
        parent = tree
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        edit = draw(st.sampled_from(["delete", "replace", "wrap", "rename", "duplicate"]))
        if edit == "delete":
            del parent[last]
        elif edit == "replace":
            parent[last] = draw(VALUES)
        elif edit == "wrap":
            parent[last] = [parent[last]]
        elif edit == "rename" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = parent.pop(last)
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
    return {**FILES, name: yaml.safe_dump(tree, allow_unicode=True).encode()}, name


@settings(BOUNDED, max_examples=120)
@given(mutated_files())
def test_structurally_mutated_packs_are_reported_with_file_and_line(
    mutated: tuple[dict[str, bytes], str],
) -> None:
    files, name = mutated
    _check_reports_not_raises(files, name)


def test_a_billion_laughs_file_is_refused_quickly_with_its_line() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    lines += [f"{c}: &{c} [{', '.join(['*' + p] * 9)}]" for p, c in zip("abcdefg", "bcdefgh", strict=True)]
    source, problems = read_pack({**FILES, "ood.yaml": "\n".join(lines).encode()})
    [bad] = [p for p in problems if p.file == "ood.yaml"]
    assert source is None and bad.line >= 1 and "expands to more than" in bad.message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("anchors: &a [*a]\n", "contains it"),
        ("anchors: !!python/object/apply:os.system ['echo hi']\n", "not allowed"),
        ("anchors: !!set {x, y}\n", "not allowed"),
        ("anchors: [1]\nreply: " + "9" * 5000 + "\n", "cannot read"),
        ("anchors: [1]\nreply: a\x00b\n", "U+0000"),
        ("anchors: [1]\nreply: \xff\n", "not UTF-8"),
    ],
    ids=["recursive alias", "python tag", "set tag", "huge integer", "nul", "latin-1"],
)
def test_yaml_the_loader_used_to_crash_on_is_a_located_problem(text: str, fragment: str) -> None:
    data = text.encode("utf-8", "surrogateescape") if "\xff" not in text else text.encode("latin-1")
    with pytest.raises(PackInvalid) as caught:
        load_pack({**FILES, "ood.yaml": data})
    [bad, *_] = [p for p in caught.value.problems if p.file == "ood.yaml" and fragment in p.message]
    assert bad.line >= 1 and f"ood.yaml:{bad.line}:" in str(caught.value)
