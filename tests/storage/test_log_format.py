"""Log output: JSON lines and text, phones masked in messages, arguments and tracebacks."""

from __future__ import annotations

import io
import json
import logging

import pytest

from storage.errors import InvalidValue
from storage.log_context import correlation_id_for, log_context, with_correlation
from storage.log_format import JsonFormatter, PhoneMaskFilter, configure_logging, log_format_from_env
from storage.masking import mask_phones_in

RAW = "77011234567"


@pytest.fixture
def restore_root():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in handlers:
        root.addHandler(h)
    root.setLevel(level)


def _emit(fmt: str) -> str:
    stream = io.StringIO()
    configure_logging(fmt, stream=stream, environ={})  # type: ignore[arg-type]
    log = logging.getLogger("truffles.test")
    with log_context(tenant="demo_salon", correlation_id="in-0123456789abcdef"):
        log.info("from %s@s.whatsapp.net, also +7 (701) 123-45-67", RAW, extra={"event": "webhook.accepted"})
        try:
            raise ValueError(f"bad sender {RAW}")
        except ValueError:
            log.exception("failed for %s", {"jid": RAW})
    log.warning("outside any message")
    return stream.getvalue()


def test_json_lines_carry_the_context_and_never_a_raw_phone(restore_root: None) -> None:
    lines = [json.loads(line) for line in _emit("json").splitlines()]
    first, failure, outside = lines
    assert set(first) == {"ts", "level", "logger", "event", "message", "tenant", "correlation_id"}
    assert first["event"] == "webhook.accepted" and first["level"] == "INFO"
    assert first["tenant"] == "demo_salon" and first["correlation_id"] == "in-0123456789abcdef"
    assert first["message"] == "from +7701***4567, also +7701***4567"
    assert "exc" in failure and "ValueError" in failure["exc"]
    assert outside["correlation_id"] is None and outside["tenant"] is None
    assert RAW not in json.dumps(lines)


def test_text_lines_show_the_correlation_id_and_mask_phones(restore_root: None) -> None:
    out = _emit("text")
    assert "truffles.test [in-0123456789abcdef]: from +7701***4567" in out
    assert "Traceback" in out and RAW not in out


def _record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("truffles.test", logging.INFO, __file__, 1, msg, args, None)


def test_the_json_formatter_masks_a_record_that_skipped_the_filter() -> None:
    # A record reaching the formatter straight (another handler's path) is masked there.
    line = json.loads(JsonFormatter().format(_record("from %s", RAW)))
    assert line["message"] == "from +7701***4567"


def test_a_record_is_masked_once_and_a_second_filter_pass_changes_nothing() -> None:
    record = _record("from %s and %s@c.us", RAW, "77015554433")
    mask = PhoneMaskFilter()
    assert mask.filter(record) and record.args is None
    masked = record.msg
    assert masked == "from +7701***4567 and +7701***4433"
    assert mask.filter(record) and record.msg == masked  # a record shared by two handlers
    assert json.loads(JsonFormatter().format(record))["message"] == masked


def test_masking_keeps_text_without_digits_as_it_is() -> None:
    text = "Здравствуйте! Запись подтверждена, ждём вас."
    assert mask_phones_in(text) is text


def test_a_bad_log_format_names_the_variable_and_the_fix() -> None:
    assert log_format_from_env({}) == "text"
    assert log_format_from_env({"TRUFFLES_LOG_FORMAT": "JSON"}) == "json"
    with pytest.raises(InvalidValue, match=r"TRUFFLES_LOG_FORMAT: 'yaml' is not a log format.*'json'"):
        log_format_from_env({"TRUFFLES_LOG_FORMAT": "yaml"})


def test_masking_leaves_ids_timestamps_and_chat_ids_alone() -> None:
    kept = (
        "chat -1001000000001 at 2026-11-25 22:43:14.123 id d45ae84c-c62d-4ce5-be19-f55b6b85e55c "
        "3EB0123456789012AB"  # pragma: allowlist secret
    )
    assert mask_phones_in(kept) == kept
    assert mask_phones_in("8 701 123 45 67 and 77015554433@c.us") == "+8701***4567 and +7701***4433"


def test_correlation_ids_are_stable_short_and_free_of_the_provider_id() -> None:
    found = correlation_id_for("demo_salon", f"false_{RAW}@c.us_3EB0")
    assert found == correlation_id_for("demo_salon", f"false_{RAW}@c.us_3EB0")
    assert found != correlation_id_for("auto_service", f"false_{RAW}@c.us_3EB0")
    assert found.startswith("in-") and len(found) == 19 and RAW not in found
    with log_context(correlation_id=found):
        assert with_correlation({"kind": "text"}) == {"kind": "text", "correlation_id": found}
    assert with_correlation({"kind": "text"}) == {"kind": "text"}
