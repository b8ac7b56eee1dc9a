"""Property tests: compiling is deterministic and any valid pack round-trips through its YAML files."""

from __future__ import annotations

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from config.compile.compiler import compile_pack
from config.lint import lint_pack
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
