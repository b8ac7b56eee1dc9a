from __future__ import annotations

from config.compile.compiler import compile_pack
from config.errors import Problem
from config.loader import read_pack
from tests.config.packs import minimal_files

BAD_INTENTS = """\
intents:
  - id: address
    examples: ["где вы", "адрес", "как добраться"]
    exampels: ["опечатка"]
    answer: {kind: template, text: "ok"}
  - id: Hours
    examples: "не список"
    answer: {kind: tempalte, text: "ok"}
"""


def _where(problems: list[Problem]) -> set[tuple[str, int, int, str]]:
    return {(p.file, p.line, p.column, p.path) for p in problems}


def _messages(problems: list[Problem]) -> str:
    return "\n".join(p.render() for p in problems)


def test_minimal_pack_loads_and_compiles() -> None:
    source, problems = read_pack(minimal_files())
    assert source is not None, _messages(problems)
    assert problems == []
    compiled = compile_pack(source)
    assert compiled.tenant_id == "minimal_pack"
    assert compiled.intent_texts["address"] == "Мы находимся по адресу: г. Алматы, ул. Примерная, 1."


def test_an_intent_about_a_category_is_tied_to_each_of_its_services() -> None:
    intents = (minimal_files()["intents.yaml"]).decode("utf-8")
    tied = intents.replace("  - id: hours\n", "  - id: hours\n    about: [main]\n")
    tied = tied.replace("  - id: address\n", "  - id: address\n    about: [service_one]\n")
    source, problems = read_pack(minimal_files(intents_yaml=tied))
    assert source is not None, _messages(problems)
    services = {s.id for s in source.catalogue.services if s.category == "main"}
    assert len(services) >= 1
    about = compile_pack(source).extras["intent_about"]
    assert about == {"hours": frozenset(services), "address": frozenset({"service_one"})}


def test_every_schema_error_is_reported_at_once_with_line_column_and_path() -> None:
    bad_threshold = "intent: 1.5\nood: 0.5\n"
    source, problems = read_pack(minimal_files(intents_yaml=BAD_INTENTS, thresholds_yaml=bad_threshold))
    assert source is None
    assert {
        ("intents.yaml", 4, 5, "$.intents[0].exampels"),
        ("intents.yaml", 7, 15, "$.intents[1].examples"),
        ("intents.yaml", 8, 13, "$.intents[1].answer"),
        ("thresholds.yaml", 1, 9, "$.intent"),
    } <= _where(problems), _messages(problems)


def test_unknown_field_suggests_the_closest_known_one() -> None:
    _, problems = read_pack(minimal_files(intents_yaml=BAD_INTENTS))
    [typo] = [p for p in problems if p.path == "$.intents[0].exampels"]
    assert "unknown field `exampels`; did you mean `examples`?" in typo.message


def test_unknown_kind_of_a_tagged_union_names_the_known_kinds() -> None:
    _, problems = read_pack(minimal_files(intents_yaml=BAD_INTENTS))
    [kind] = [p for p in problems if p.path == "$.intents[1].answer"]
    assert "'tempalte'" in kind.message and "'template'" in kind.message


def test_yaml_syntax_error_is_located() -> None:
    source, problems = read_pack(minimal_files(ood_yaml='anchors: ["a"\nreply: x: y\n'))
    assert source is None
    [syntax] = [p for p in problems if p.file == "ood.yaml"]
    assert syntax.code == "yaml" and syntax.line == 2 and "YAML syntax" in syntax.message


def test_non_utf8_file_is_an_error_naming_the_fix() -> None:
    files = minimal_files()
    files["ood.yaml"] = "reply: привет\n".encode("cp1251")
    source, problems = read_pack(files)
    assert source is None
    [bad] = [p for p in problems if p.file == "ood.yaml"]
    assert "not UTF-8" in bad.message and "save the file as UTF-8" in bad.message


def test_duplicate_keys_are_errors_at_the_second_key() -> None:
    text = 'anchors: ["погода"]\nreply: "a"\nreply: "b"\n'
    _, problems = read_pack(minimal_files(ood_yaml=text))
    [dup] = [p for p in problems if p.file == "ood.yaml"]
    assert (dup.line, dup.column, dup.path) == (3, 1, "$.reply")
    assert "duplicate key 'reply'" in dup.message


def test_missing_required_files_are_each_reported() -> None:
    source, problems = read_pack(minimal_files(law_yaml=None, policies_yaml=None))
    assert source is None
    missing = {p.file for p in problems if "missing pack file" in p.message}
    assert missing == {"law.yaml", "policies.yaml"}


def test_a_bad_id_is_reported_beside_other_errors() -> None:
    _, problems = read_pack(minimal_files(intents_yaml=BAD_INTENTS))
    assert ("intents.yaml", 6, 9, "$.intents[1].id") in _where(problems), _messages(problems)
