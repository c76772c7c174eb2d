"""Production refuses a secret key short enough to guess: SECRET_KEY signs the session cookie
and CSRF tokens, so anyone who guesses it offline from one cookie can sign in as anyone."""
from __future__ import annotations

import pytest

from app import create_app
from config import MIN_SECRET_KEY_BYTES, ProductionConfig


@pytest.fixture
def production_env(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/okr")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("MAIL_URL", "smtp://okr:secret@smtp.example.com:587")

    def with_key(key: str) -> None:
        monkeypatch.setenv("SECRET_KEY", key)
    return with_key


@pytest.mark.parametrize("key", ["Q", "Q" * (MIN_SECRET_KEY_BYTES - 1), "Ω" * 15])
def test_production_refuses_to_start_with_a_short_secret_key(production_env, key):
    production_env(key)
    with pytest.raises(RuntimeError, match="SECRET_KEY is .* bytes long and must be at least 32"
                       ) as refusal:
        ProductionConfig.load()
    assert key not in str(refusal.value), "the message must not repeat the secret"


def test_the_app_factory_refuses_it_at_start_up(production_env):
    production_env("x")
    with pytest.raises(RuntimeError, match="at least 32"):
        create_app(ProductionConfig)


@pytest.mark.parametrize("key", ["Q" * MIN_SECRET_KEY_BYTES, "Ω" * 16])
def test_production_accepts_a_key_of_32_bytes(production_env, key):
    production_env(key)
    assert ProductionConfig.load()["SECRET_KEY"] == key
