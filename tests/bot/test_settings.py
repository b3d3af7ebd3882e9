from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError


def test_defaults_need_nothing():
    settings = Settings.from_env({})
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith("var/streetline.db")
    assert settings.redis_url is None and not settings.uses_twilio


def test_environment_values_are_parsed():
    settings = Settings.from_env({"DATABASE_URL": "postgresql://u@h/db", "NLU_TIMEOUT": "0.8",
                                  "PUBLIC_BASE_URL": "https://line.example.org/", "RASA_URL": "http://nlu:5005/"})
    assert (settings.database_url, settings.nlu_timeout) == ("postgresql://u@h/db", 0.8)
    assert settings.public_base_url == "https://line.example.org" and settings.rasa_url == "http://nlu:5005"


def test_production_without_secrets_fails_with_the_names():
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"STREETLINE_ENV": "production", "DATABASE_URL": "postgresql://u@h/db"})
    message = str(error.value)
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL", "REDIS_URL", "SECRET_KEY"):
        assert name in message


def test_production_refuses_sqlite():
    env = {"STREETLINE_ENV": "production", "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t",
           "PUBLIC_BASE_URL": "https://x.example.org", "REDIS_URL": "redis://r", "SECRET_KEY": "s" * 32}
    with pytest.raises(SettingsError, match="PostgreSQL"):
        Settings.from_env(env)
    settings = Settings.from_env({**env, "DATABASE_URL": "postgresql://u@h/db"})
    assert settings.production
    # Production pages: secure cookies, no simulator unless asked for.
    assert settings.session_cookie_secure and not settings.simulator
    assert Settings.from_env({**env, "DATABASE_URL": "postgresql://u@h/db", "SIMULATOR": "1"}).simulator


def test_bad_numbers_are_named():
    with pytest.raises(SettingsError, match="NLU_TIMEOUT"):
        Settings.from_env({"NLU_TIMEOUT": "fast"})
