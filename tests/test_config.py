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
    monkeypatch.setenv("MAIL_URL", "smtp://okr:secret@smtp.example.com:587")
    settings = ProductionConfig.load()
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://db/okr"
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["MAIL_URL"] == "smtp://okr:secret@smtp.example.com:587"


@pytest.fixture
def production_without_mail(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgres://db/okr")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    for name in ("MAIL_URL", "MAIL_FOLDER"):
        monkeypatch.delenv(name, raising=False)


def test_production_refuses_to_start_without_a_mail_server(production_without_mail):
    with pytest.raises(RuntimeError, match="MAIL_URL is not set") as refusal:
        ProductionConfig.load()
    assert "smtp://" in str(refusal.value) and "MAIL_FOLDER" in str(refusal.value)


def test_production_writes_mail_to_a_folder_only_when_told_to(production_without_mail,
                                                              monkeypatch, tmp_path):
    monkeypatch.setenv("MAIL_FOLDER", str(tmp_path / "mail"))
    assert ProductionConfig.load()["MAIL_FOLDER"] == str(tmp_path / "mail")


def test_the_mail_and_queue_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("MAIL_CA_FILE", "/etc/ssl/private-ca.pem")
    monkeypatch.setenv("JOBS_QUEUE_NAME", "academy-staging")
    settings = TestConfig.load()
    assert settings["MAIL_CA_FILE"] == "/etc/ssl/private-ca.pem"
    assert settings["JOBS_QUEUE_NAME"] == "academy-staging"
    monkeypatch.delenv("MAIL_CA_FILE")
    monkeypatch.delenv("JOBS_QUEUE_NAME")
    defaults = TestConfig.load()
    assert (defaults["MAIL_CA_FILE"], defaults["JOBS_QUEUE_NAME"]) == ("", "okr-academy")


def test_config_is_chosen_by_environment(monkeypatch):
    monkeypatch.setenv("OKR_ACADEMY_ENV", "production")
    assert config_from_env() is ProductionConfig
    monkeypatch.setenv("OKR_ACADEMY_ENV", "staging")
    with pytest.raises(RuntimeError, match="OKR_ACADEMY_ENV"):
        config_from_env()


def test_database_url_normalisation():
    assert normalise_database_url("sqlite://") == "sqlite://"
    assert normalise_database_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
