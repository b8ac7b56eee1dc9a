from __future__ import annotations

import pytest

from config.errors import Problem
from config.lint import check_files, lint_pack
from config.lint_regex import backtracking_risk, regex_compile_error
from config.loader import load_pack
from tests.config.packs import MINIMAL, minimal_files

INTENTS = (MINIMAL / "intents.yaml").read_text(encoding="utf-8")
LAW = (MINIMAL / "law.yaml").read_text(encoding="utf-8")
SERVICES = (MINIMAL / "services.yaml").read_text(encoding="utf-8")
TENANT = (MINIMAL / "tenant.yaml").read_text(encoding="utf-8")


def lint(**changes: str | None) -> list[Problem]:
    source, problems = check_files(minimal_files(**changes))
    assert source is not None, "\n".join(p.render() for p in problems)
    return problems


def only(problems: list[Problem], code: str) -> list[Problem]:
    return [p for p in problems if p.code == code]


def test_the_minimal_pack_is_clean() -> None:
    assert lint() == []


def test_unknown_placeholder_is_an_error_suggesting_the_closest_fact() -> None:
    problems = lint(intents_yaml=INTENTS.replace("{business.address}", "{busines.adress}"))
    [p] = only(problems, "placeholder")
    assert (p.file, p.line, p.path) == ("intents.yaml", 12, "$.intents[0].answer.text")
    assert "`{busines.adress}`" in p.message and "did you mean `business.address`?" in p.message


def test_engine_slots_are_known_placeholders_and_stray_braces_are_warned() -> None:
    problems = lint(intents_yaml=INTENTS.replace("{business.address}", "{service} { цена }"))
    [p] = only(problems, "placeholder")
    assert p.severity == "warning" and "`{ цена }` is not a placeholder" in p.message


def test_placeholders_in_law_replies_and_ood_reply_are_checked() -> None:
    ood = 'anchors: ["какая погода"]\nreply: "Пишите на {business.mail}"\n'
    problems = lint(law_yaml=LAW.replace("передаю ему ваш вопрос", "{manager}"), ood_yaml=ood)
    assert {(p.file, p.path) for p in only(problems, "placeholder")} == {
        ("law.yaml", "$.topics[0].reply"),
        ("ood.yaml", "$.reply"),
    }


def test_duplicate_service_item_and_category_ids_are_errors() -> None:
    services = SERVICES.replace("  - id: service_one\n", "  - id: service_one\n", 1) + (
        '  - id: service_one\n    name: "Ещё"\n    category: main\n    items:\n'
        '      - id: service_one_basic\n        name: "Ещё базовая"\n        price: 1\n'
    )
    problems = only(lint(services_yaml=services), "duplicate-id")
    assert {p.path for p in problems} == {"$.services[1].id", "$.services[1].items[0].id"}
    assert all("already used at $.services[0]" in p.message for p in problems)


def test_a_service_naming_an_unknown_category_is_an_error() -> None:
    [p] = only(lint(services_yaml=SERVICES.replace("category: main", "category: mian")), "reference")
    assert p.path == "$.services[0].category" and "did you mean `main`?" in p.message


def test_a_regex_that_does_not_compile_shows_a_caret() -> None:
    law = LAW.replace('terms: ["оплат*", "возврат*", "верните деньги"]', 'regex: ["оплат(а|ы"]')
    [p] = only(lint(law_yaml=law), "regex")
    assert p.path == "$.topics[0].trigger.regex[0]" and p.line == 7
    assert p.message.splitlines()[1:3] == ["    оплат(а|ы", "         ^"]


@pytest.mark.parametrize(
    "pattern", ["(a+)+", r"(\w*)*", "(x|x)*", r"(\w+\s?)+$", r"^(\d+)*$", "(?:[а-я]+ ?)+"]
)
def test_catastrophic_regexes_are_flagged(pattern: str) -> None:
    assert backtracking_risk(pattern) is not None


@pytest.mark.parametrize(
    "pattern", [r"\bоплат\w*", r"(\d+,)+", r"(\w+\s)+", r"\d{1,3}(?:\s\d{3})*", "(?:руб|тг)+"]
)
def test_ordinary_regexes_pass(pattern: str) -> None:
    assert regex_compile_error(pattern) is None and backtracking_risk(pattern) is None


def test_a_catastrophic_trigger_regex_is_an_error_in_the_pack() -> None:
    law = LAW.replace(
        'terms: ["оплат*", "возврат*", "верните деньги"]', 'terms: ["оплат*"]\n      regex: ["(a+)+"]'
    )
    [p] = only(lint(law_yaml=law), "regex-backtracking")
    assert p.path == "$.topics[0].trigger.regex[0]" and "/(a+)+/" in p.message


def test_a_regex_with_capitals_or_yo_is_warned_it_never_matches_normalised_text() -> None:
    law = LAW.replace(
        'terms: ["оплат*", "возврат*", "верните деньги"]',
        'terms: ["оплат*"]\n      regex: ["Возвр[Ааё]т", "[^A-Z]x"]',
    )
    [p] = only(lint(law_yaml=law), "regex")
    assert p.severity == "warning" and p.path == "$.topics[0].trigger.regex[0]"
    assert "never contains В, А, ё" in p.message


def test_an_intent_with_two_examples_is_an_error() -> None:
    intents = INTENTS.replace('      - "как до вас добраться"\n', "")
    [p] = only(lint(intents_yaml=intents), "few-examples")
    assert (p.path, p.line) == ("$.intents[0].examples", 7) and "has 2 example(s)" in p.message


def test_the_same_phrase_in_two_intents_is_an_error_after_normalising() -> None:
    intents = INTENTS.replace('"во сколько открываетесь"', '"Где вы  находитесь?!"')
    [p] = only(lint(intents_yaml=intents), "duplicate-example")
    assert p.severity == "error" and p.path == "$.intents[1].examples[2]"
    assert "also an example of intent `address`" in p.message


def test_a_rule_example_that_does_not_fire_its_trigger_is_named() -> None:
    law = LAW.replace('- "хочу возврат денег"', '- "сколько стоит стрижка"')
    [p] = only(lint(law_yaml=law), "trigger-example")
    assert p.path == "$.topics[0].examples[1]" and "«сколько стоит стрижка»" in p.message


def test_uncovered_law_topic_is_a_warning_without_batteries_and_an_error_with_them() -> None:
    without = only(lint(batteries__smoke_yaml=None), "coverage")
    assert {(p.path, p.severity) for p in without} == {
        ("$.topics[0].id", "warning"),
        ("$.gates[0].id", "warning"),
    }
    battery = '- id: a\n  user: "где вы?"\n  expected: {intent: address}\n'
    with_batteries = only(lint(batteries__smoke_yaml=battery), "coverage")
    assert {p.severity for p in with_batteries} == {"error"} and len(with_batteries) == 2


def test_an_alias_label_in_a_case_covers_the_topic_it_maps_to() -> None:
    battery = (
        '- id: a\n  turns:\n    - user: "как оплатить"\n      expected: {intent: payment_question}\n'
        '- id: b\n  user: "перенести запись"\n  expected: {reason: reschedule}\n'
    )
    assert lint(batteries__smoke_yaml=battery) == []


def test_a_case_naming_an_unknown_intent_is_an_error_but_builtins_are_fine() -> None:
    battery = (MINIMAL / "batteries" / "smoke.yaml").read_text(encoding="utf-8")
    battery += '- id: x\n  user: "привет"\n  expected: {intent: greeting}\n'
    battery += '- id: y\n  user: "адрес"\n  expected: {intent: adress}\n'
    [p] = only(lint(batteries__smoke_yaml=battery), "battery-intent")
    assert p.file == "batteries/smoke.yaml" and p.path == "$[4].expected.intent"
    assert "did you mean `address`?" in p.message


def test_unknown_ids_in_intent_aliases_and_per_intent_thresholds_are_errors() -> None:
    problems = only(
        lint(
            tenant_yaml=TENANT.replace("[payments]", "[payments, paymnts]"),
            thresholds_yaml="per_intent:\n  adress: 0.5\n",
        ),
        "reference",
    )
    assert {(p.file, p.path, p.line) for p in problems} == {
        ("tenant.yaml", "$.intent_aliases.payment_question[1]", 26),
        ("thresholds.yaml", "$.per_intent.adress", 2),
    }


def test_an_intent_about_an_unknown_service_is_an_error_suggesting_the_closest_id() -> None:
    tied = INTENTS.replace("  - id: hours\n", "  - id: hours\n    about: [main, service_on]\n")
    [p] = only(lint(intents_yaml=tied), "reference")
    assert (p.file, p.path) == ("intents.yaml", "$.intents[1].about[1]")
    assert "`service_on`" in p.message and "did you mean `service_one`?" in p.message


def test_ood_anchor_equal_to_an_example_is_an_error_and_a_contained_one_a_warning() -> None:
    ood = 'anchors: ["какой у вас адрес", "адрес", "какая погода"]\nreply: "Не по теме."\n'
    problems = only(lint(ood_yaml=ood), "ood-collision")
    assert [(p.path, p.severity) for p in problems] == [
        ("$.anchors[0]", "error"),
        ("$.anchors[1]", "warning"),
    ]


def test_lint_without_raw_files_still_names_the_yaml_path() -> None:
    source = load_pack(minimal_files(intents_yaml=INTENTS.replace("{business.address}", "{nope}")))
    [p] = lint_pack(source)
    assert (p.file, p.line, p.path) == ("intents.yaml", 0, "$.intents[0].answer.text")
