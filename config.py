"""Configuration classes. Every setting can be overridden by an environment variable of the same name."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def _env_bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _coerce(default, raw: str):
    """Parse an environment string into the type of the default it overrides."""
    if isinstance(default, bool):
        return _env_bool(raw)
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


def instance_secret_key(instance_dir: Path = INSTANCE_DIR) -> str:
    """Return the development secret key, generating it once into the instance folder."""
    path = instance_dir / "secret_key"
    if not path.exists():
        instance_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    """Defaults that work with no environment at all (SQLite in instance/)."""

    ENV_NAME = "development"
    SECRET_KEY: str | None = None
    DATABASE_URL = f"sqlite:///{INSTANCE_DIR / 'okr_academy.sqlite3'}"
    #: check a pooled connection before handing it out, so one the server dropped (a restart,
    #: a failover, an idle timeout, pg_terminate_backend) is replaced instead of failing a request
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    INSTANCE_PATH = str(INSTANCE_DIR)
    COURSES_DIR = str(BASE_DIR / "courses")
    CERTIFICATES_DIR = str(BASE_DIR / "certificates")
    KEYS_DIR = str(INSTANCE_DIR / "keys")
    # Production key material; development generates keys into KEYS_DIR when these are empty.
    SIGNING_KEY_PATH = ""
    VERIFY_KEY_PATHS = ""
    PDF_SIGNING_KEY_PATH = ""
    PDF_SIGNING_CERT_PATH = ""
    PDF_SIGNING_CHAIN_PATH = ""
    #: the RSA private key (PEM, 2048 bits or more) of RS256 Open Badges JWTs; required in
    #: production, generated into KEYS_DIR in development
    BADGE_RSA_KEY_PATH = ""
    #: the secret that derives each holder's Open Badges subject id (urn:uuid) and email salt;
    #: empty uses SECRET_KEY. Changing it changes every holder's subject id
    BADGE_SUBJECT_SECRET = ""
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    ISSUER_NAME = "OKR Academy"

    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    LOGIN_LIMIT_PER_CLIENT = "20 per minute"
    #: failed logins on one account from one client: an address, or a device that logged into
    #: the account before; strangers who spend theirs shut out only themselves
    LOGIN_LIMIT_PER_ACCOUNT = "5 per 5 minutes"
    #: failed logins on one account from clients it does not know (devices that never logged
    #: into it) before each further guess waits its turn, the wait doubling from 10 seconds up
    #: to LOGIN_SLOWDOWN_MAX_SECONDS; the account slows down and never locks (app/auth/throttle.py)
    LOGIN_SLOWDOWN_PER_ACCOUNT = "20 per day"
    LOGIN_SLOWDOWN_MAX_SECONDS = 300
    REGISTER_LIMIT_PER_CLIENT = "20 per hour"
    VERIFY_LIMIT_PER_CLIENT = "60 per minute"
    #: bulk verification uploads per HR account (each may hold thousands of codes)
    BULK_VERIFY_LIMIT_PER_USER = "10 per minute"
    #: the deployment runs one process, so per-process (memory://) rate-limit counters are whole
    SINGLE_WORKER = False
    #: reverse proxies in front of the app, each appending to X-Forwarded-For/-Proto/-Host: the
    #: client is the address the outermost trusted one saw; 0 ignores those headers
    TRUSTED_PROXIES = 0
    #: write the public verifications' log in batches from a background thread (see
    #: app/verify/logbook.py); off, each check commits its entry before answering
    VERIFICATION_LOG_BATCHED = True

    #: the job queue: empty for SQLite in the instance folder (one machine), redis://host:6379/0
    #: for consumers on several machines
    JOBS_URL = ""
    #: the queue's name in that store: consumers serve the queue of their name only, so two
    #: deployments (or test runs) can share one Redis without taking each other's jobs
    JOBS_QUEUE_NAME = "okr-academy"
    #: where mail goes: smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465;
    #: empty writes each message as an .eml file into MAIL_FOLDER (instance/mail), which
    #: administrators read at /admin/mail
    MAIL_URL = ""
    MAIL_FOLDER = ""
    #: a PEM file of the certificate authorities that MAIL_URL's server certificate may chain
    #: to (a private CA), instead of the system's; empty trusts the system's. Verification of
    #: the certificate and its host name is never turned off
    MAIL_CA_FILE = ""
    MAIL_FROM = "OKR Academy <no-reply@okr.academy>"
    MAIL_TIMEOUT_SECONDS = 30.0
    #: attempts at one mail before it is marked failed, the first retry's delay (doubling each
    #: time up to the maximum), and how long a job holds a mail it is sending
    MAIL_MAX_ATTEMPTS = 8
    MAIL_RETRY_SECONDS = 30.0
    MAIL_RETRY_MAX_SECONDS = 3600.0
    MAIL_LEASE_SECONDS = 300.0
    #: signed webhooks (Standard Webhooks): the seconds a receiver has to answer, how long an
    #: endpoint may fail without one success before it is turned off (its HR get a mail), and
    #: how long a job holds a delivery it is sending
    WEBHOOK_TIMEOUT_SECONDS = 5.0
    WEBHOOK_DISABLE_AFTER_SECONDS = 86400.0
    WEBHOOK_LEASE_SECONDS = 60.0
    #: let endpoints on this machine (127.0.0.1, ::1, localhost) be used, over plain http too:
    #: for development and tests only; anywhere else an endpoint must be public and https
    WEBHOOK_ALLOW_LOOPBACK = False

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 12
    #: how long "remember me" keeps a login (seconds); each login has its own remember token
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 60 * 60 * 8
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    PASSWORD_MIN_LENGTH = 10
    #: the languages the interface speaks, the first the default (app/translations)
    LANGUAGES = ("en", "de", "fr", "es")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "app" / "translations")
    #: how long a password reset link works (seconds); it also dies once the password changes
    PASSWORD_RESET_MAX_AGE = 60 * 60
    #: password reset requests per client (an address), whatever the accounts asked for
    PASSWORD_RESET_LIMIT_PER_CLIENT = "5 per 15 minutes"
    #: how long a link confirming an address works (seconds); it dies once the address changes
    EMAIL_TOKEN_MAX_AGE = 3 * 24 * 60 * 60
    #: "send the confirmation link again" and address change requests per client
    EMAIL_MAIL_LIMIT_PER_CLIENT = "5 per 15 minutes"
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    #: requests per organisation API token: SCIM provisioning, and the organisation read API
    SCIM_LIMIT_PER_TOKEN = "600 per minute"
    ORG_API_LIMIT_PER_TOKEN = "300 per minute"
    #: sign-on: also accept identity providers at http://127.0.0.1 or http://localhost (tests,
    #: development); any other provider must use https
    SSO_ALLOW_LOOPBACK_HTTP = False
    #: seconds to wait for an identity provider (discovery, its keys, the code exchange)
    SSO_HTTP_TIMEOUT_SECONDS = 10.0
    #: SAML sign-on: our service provider's RSA key and certificate (PEM files, the same on
    #: every host: identity providers may encrypt assertions to it); empty: generated once
    #: into KEYS_DIR
    SAML_SP_KEY_PATH = ""
    SAML_SP_CERT_PATH = ""
    #: seconds of clock difference allowed with an identity provider (NotBefore, NotOnOrAfter)
    SAML_CLOCK_SKEW_SECONDS = 90
    #: seconds a person may take at the identity provider between start and answer
    SAML_REQUEST_MAX_AGE_SECONDS = 600
    #: seconds metadata read from an identity provider's metadata URL is used before reading
    #: it again
    SAML_METADATA_MAX_AGE_SECONDS = 86400
    TESTING = False

    @classmethod
    def load(cls) -> dict:
        """Collect the class settings, overridden by environment variables of the same name."""
        settings = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if name.isupper():
                    settings[name] = dict(value) if isinstance(value, dict) else value
        for name, default in list(settings.items()):
            raw = os.environ.get(name)
            if raw is not None and not isinstance(default, dict):
                settings[name] = _coerce(default, raw) if default is not None else raw
        settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(settings["DATABASE_URL"])
        cls.finalise(settings)
        return settings

    @classmethod
    def finalise(cls, settings: dict) -> None:
        if not settings.get("SECRET_KEY"):
            settings["SECRET_KEY"] = instance_secret_key(Path(settings["INSTANCE_PATH"]))


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    SSO_ALLOW_LOOPBACK_HTTP = True


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    DATABASE_URL = "sqlite://"
    RATELIMIT_ENABLED = True
    VERIFICATION_LOG_BATCHED = False
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    PUBLIC_BASE_URL = "http://localhost"
    SSO_ALLOW_LOOPBACK_HTTP = True

    @classmethod
    def load(cls) -> dict:
        settings = super().load()
        url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or "sqlite://"
        settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)
        settings["JOBS_URL"] = "memory://"  # a test that runs a consumer gives it its own queue
        return settings


#: the shortest SECRET_KEY production accepts: it signs session cookies and CSRF tokens, so it
#: must not be guessable offline from one signed cookie
MIN_SECRET_KEY_BYTES = 32


class ProductionConfig(Config):
    ENV_NAME = "production"
    DATABASE_URL = ""
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

    @classmethod
    def finalise(cls, settings: dict) -> None:
        """Refuse to start without a database or a long enough secret key."""
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not settings.get(name)]
        if missing:
            raise RuntimeError(
                "Production configuration refuses to start: set " + " and ".join(missing)
                + " in the environment."
            )
        key_bytes = len(str(settings["SECRET_KEY"]).encode("utf-8"))
        if key_bytes < MIN_SECRET_KEY_BYTES:
            raise RuntimeError(
                f"Production configuration refuses to start: SECRET_KEY is {key_bytes} bytes "
                f"long and must be at least {MIN_SECRET_KEY_BYTES}. Generate one with "
                "`python -c \"import secrets; print(secrets.token_urlsafe(48))\"` and set it "
                "in the environment."
            )
        refuse_per_process_counters(settings)
        refuse_undelivered_mail(settings)


def refuse_undelivered_mail(settings: dict) -> None:
    """Refuse to start without an SMTP server unless mail is meant to stay in a folder."""
    if not settings.get("MAIL_URL") and not settings.get("MAIL_FOLDER"):
        raise RuntimeError(
            "Production configuration refuses to start: MAIL_URL is not set, so password "
            "resets, invitations and certificates would never reach anyone. Set MAIL_URL to "
            "the SMTP server (e.g. smtp://user:password@smtp.example.com:587), or set "
            "MAIL_FOLDER to a folder when the mails are meant to be written there as .eml "
            "files."
        )


def refuse_per_process_counters(settings: dict) -> None:
    """Refuse rate-limit counters kept in each process's memory unless one process serves."""
    storage = str(settings.get("RATELIMIT_STORAGE_URI") or "memory://")
    if storage.startswith("memory://") and not settings.get("SINGLE_WORKER"):
        raise RuntimeError(
            "Production configuration refuses to start: RATELIMIT_STORAGE_URI is "
            f"{storage!r}, so every worker process keeps its own rate-limit counters and the "
            "login and verification limits multiply by the number of workers. Set "
            "RATELIMIT_STORAGE_URI to a store the workers share (e.g. "
            "redis://redis.internal:6379/0), or SINGLE_WORKER=true when one process serves."
        )


def normalise_database_url(url: str) -> str:
    """Map postgres:// and postgresql:// URLs to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """Pick the config class named by OKR_ACADEMY_ENV (default: development)."""
    name = os.environ.get("OKR_ACADEMY_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"OKR_ACADEMY_ENV must be one of {', '.join(CONFIGS)}, not {name!r}.")
