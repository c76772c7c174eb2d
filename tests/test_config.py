import pytest

from config import Config, ProductionConfig, TestConfig, config_from_env, normalise_database_url


def test_default_config_works_without_environment(tmp_path, monkeypatch):
    for name in ("SECRET_KEY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    settings = Config.load()
    assert settings["SECRET_KEY"] and len(settings["SECRET_KEY"]) >= 40
    assert (tmp_path / "secret_key").read_text().strip() == settings["SECRET_KEY"]
    assert Config.load()["SECRET_KEY"] == settings["SECRET_KEY"], "generated once, then reused"
    assert settings["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")


def test_environment_overrides_settings_with_their_types(monkeypatch):
    monkeypatch.setenv("PASSWORD_MIN_LENGTH", "14")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "true")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("TRUSTED_PROXIES", "2")
    monkeypatch.setenv("SINGLE_WORKER", "yes")
    settings = TestConfig.load()
    assert settings["PASSWORD_MIN_LENGTH"] == 14
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"
    assert settings["TRUSTED_PROXIES"] == 2 and settings["SINGLE_WORKER"] is True


def test_no_proxy_is_trusted_and_several_workers_are_assumed_by_default(monkeypatch):
    for name in ("TRUSTED_PROXIES", "SINGLE_WORKER"):
        monkeypatch.delenv(name, raising=False)
    settings = TestConfig.load()
    assert settings["TRUSTED_PROXIES"] == 0 and settings["SINGLE_WORKER"] is False


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL"])
def test_production_refuses_to_start_without_secret_and_database(monkeypatch, missing):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/okr")
    monkeypatch.delenv(missing)
    with pytest.raises(RuntimeError, match=missing):
        ProductionConfig.load()


def test_production_config_with_environment(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgres://db/okr")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    settings = ProductionConfig.load()
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://db/okr"
    assert settings["SESSION_COOKIE_SECURE"] is True


def test_config_is_chosen_by_environment(monkeypatch):
    monkeypatch.setenv("OKR_ACADEMY_ENV", "production")
    assert config_from_env() is ProductionConfig
    monkeypatch.setenv("OKR_ACADEMY_ENV", "staging")
    with pytest.raises(RuntimeError, match="OKR_ACADEMY_ENV"):
        config_from_env()


def test_database_url_normalisation():
    assert normalise_database_url("sqlite://") == "sqlite://"
    assert normalise_database_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
