"""Service settings from the environment."""

from __future__ import annotations

import pytest

from config.settings import DEFAULT_DATABASE_URL, RateLimit, SettingsError, load_settings


def test_defaults_are_the_embedded_mode() -> None:
    settings = load_settings({})
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite:///var/truffles.db"
    assert settings.broker == "embedded" and settings.redis_url == ""


def test_values_come_from_truffles_variables() -> None:
    settings = load_settings(
        {"TRUFFLES_BROKER": "redis", "TRUFFLES_PORT": "9000", "TRUFFLES_COALESCE_SECONDS": "0.25",
         "TRUFFLES_RATE_CUSTOMER_TEXT": "10/0.5"}
    )  # fmt: skip
    assert (settings.broker, settings.port, settings.coalesce_seconds) == ("redis", 9000, 0.25)
    assert settings.rate_customer_text == RateLimit(burst=10, per_second=0.5)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("TRUFFLES_BROKER", "rabbit"), ("TRUFFLES_PORT", "eighty"), ("TRUFFLES_RATE_TENANT_TEXT", "fast")],
)
def test_a_bad_value_names_the_variable_and_the_value(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({variable: value})
    assert variable in str(info.value) and value in str(info.value)
