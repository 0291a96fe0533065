"""Settings from the environment: a variable the app cannot use stops it at start, naming
the variable and what it takes, rather than failing later (or silently meaning
something else)."""

from __future__ import annotations

import pytest

from jifen.config import Settings, SettingsError


def settings(tmp_path, **env: str) -> Settings:
    return Settings.from_env({"JIFEN_INSTANCE_PATH": str(tmp_path), **env})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("JIFEN_API_RATE_LIMIT", "abc"),
        ("JIFEN_API_RATE_LIMIT", "0"),
        ("JIFEN_API_RATE_LIMIT", "-5"),
        ("JIFEN_API_RATE_LIMIT", "1.5"),
        ("JIFEN_API_RATE_LIMIT", "٣"),  # a digit, but not one a person types here
        ("JIFEN_PROXY_HOPS", "one"),
        ("JIFEN_IDEMPOTENCY_WAIT", "soon"),
        ("JIFEN_IDEMPOTENCY_WAIT", "-1"),
        ("JIFEN_IDEMPOTENCY_WAIT", "nan"),
        ("JIFEN_COOKIE_SECURE", "maybe"),
        ("JIFEN_TESTING", "2"),
        ("JIFEN_DEFAULT_LOCALE", "fr_FR"),
    ],
)
def test_an_unusable_variable_stops_the_app_naming_it(tmp_path, name, value):
    with pytest.raises(SettingsError) as refused:
        settings(tmp_path, **{name: value})

    assert name in str(refused.value) and repr(value) in str(refused.value)


@pytest.mark.parametrize(
    ("value", "secure"), [("1", True), ("true", True), ("YES", True), ("0", False), ("off", False)]
)
def test_cookie_secure_takes_the_usual_spellings_of_yes_and_no(tmp_path, value, secure):
    assert settings(tmp_path, JIFEN_COOKIE_SECURE=value).secure_cookies is secure


def test_unset_and_empty_variables_take_their_defaults(tmp_path):
    given = settings(tmp_path, JIFEN_API_RATE_LIMIT="", JIFEN_COOKIE_SECURE="")
    assert (given.api_rate_limit, given.idempotency_wait, given.proxy_hops) == (6000, 5.0, 0)
    assert (given.default_locale, given.testing) == ("zh_CN", False)
    assert given.secure_cookies is False  # the embedded mode (no Redis)


def test_numbers_are_read_as_given(tmp_path):
    given = settings(
        tmp_path,
        JIFEN_API_RATE_LIMIT="120",
        JIFEN_IDEMPOTENCY_WAIT="0.5",
        JIFEN_PROXY_HOPS="2",
        JIFEN_DEFAULT_LOCALE="en",
    )
    assert (given.api_rate_limit, given.idempotency_wait, given.proxy_hops) == (120, 0.5, 2)
    assert given.default_locale == "en"
