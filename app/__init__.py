"""OKR Academy: the Flask application package."""
from __future__ import annotations

from flask import Flask

from config import Config, config_from_env


def create_app(config: type[Config] | dict | None = None, overrides: dict | None = None) -> Flask:
    """Build the application: settings, extensions, blueprints, error pages and commands.

    `config` is a config class, or a dict of settings applied over the class that
    OKR_ACADEMY_ENV names; `overrides` are applied last.
    """
    app = Flask(__name__)
    config_class = config if isinstance(config, type) else config_from_env()
    app.config.update(config_class.load())
    if isinstance(config, dict):
        app.config.update(config)
    app.config.update(overrides or {})
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_receivers()
    register_jobs(app)
    from app.i18n import init_i18n
    from app.security import init_security, trust_proxies
    from app.templating import init_templating
    from app.transactions import init_transactions

    init_security(app)
    trust_proxies(app)
    init_i18n(app)
    init_templating(app)
    init_transactions(app)  # after the others: a 409 it answers still gets their headers
    return app


def register_extensions(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from app.auth.logins import user_for_login
    from app.clock import utcnow
    from app import models  # noqa: F401  (registers the tables on the metadata)
    from app.certificates.extension import init_certificates
    from app.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.localize_callback = str  # flashed as the page's language, a plain string
    login_manager.login_message_category = "info"
    init_certificates(app)

    @login_manager.user_loader
    def load_user(login_id: str):
        # the cookies carry a login that can be ended, not the user id (see app/auth/logins.py)
        return user_for_login(db.session, login_id, utcnow())


def register_blueprints(app: Flask) -> None:
    from app.routing import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter
    from app.admin import mail_routes  # noqa: F401  (the mail pages join the admin blueprint)
    from app.admin.routes import bp as admin_bp
    from app.auth.routes import bp as auth_bp
    from app.authoring import files_routes, routes  # noqa: F401  (the studio's two view modules)
    from app.authoring.web import bp as authoring_bp
    from app.capstones.routes import bp as capstones_bp
    from app.certificates import admin_routes  # noqa: F401  (its views join the blueprint)
    from app.certificates.routes import bp as certificates_bp
    from app.courses.routes import bp as courses_bp
    from app.hr.invitation_routes import join_bp  # (also HR's invitation views)
    from app.hr.routes import bp as hr_bp
    from app.main.routes import bp as main_bp
    from app.notifications.routes import bp as notifications_bp
    from app.quizzes.routes import bp as quizzes_bp
    from app.sso import routes as sso_routes, saml_routes  # noqa: F401  (sign-on's views)
    from app.sso.web import bp as sso_bp
    from app.verify.routes import bp as verify_bp
    from app.webhooks import log_routes  # noqa: F401  (the delivery log joins the blueprint)
    from app.webhooks.routes import bp as webhooks_bp

    for blueprint in (main_bp, auth_bp, admin_bp, courses_bp, quizzes_bp, certificates_bp,
                      verify_bp, hr_bp, join_bp, authoring_bp, notifications_bp, capstones_bp, sso_bp,
                      webhooks_bp):
        app.register_blueprint(blueprint)
    from app.integrations.api_routes import api_bp as org_api_bp
    from app.integrations.routes import bp as integrations_bp
    from app.provisioning.routes import bp as scim_bp  # SCIM 2.0 at /scim/v2

    for blueprint in (integrations_bp, org_api_bp, scim_bp):
        app.register_blueprint(blueprint)
    from app.privacy.routes import bp as privacy_bp  # data rights: export and erasure

    app.register_blueprint(privacy_bp)


def register_jobs(app: Flask) -> None:
    from app.hr import mails as hr_mails, tasks as hr_tasks  # noqa: F401  (HR's mails, jobs)
    from app.jobs import init_jobs
    from app.webhooks import mails as webhook_mails, tasks as webhook_tasks  # noqa: F401
    from app.notifications import (  # noqa: F401  (the mail kinds and jobs they declare)
        account_mails, capstone_mails, certificate_mails, tasks,
    )

    init_jobs(app)


def register_receivers() -> None:
    from app.receivers import connect_receivers

    connect_receivers()


def register_errorhandlers(app: Flask) -> None:
    from app.errors import init_error_pages

    init_error_pages(app)


def register_commands(app: Flask) -> None:
    from app.cli import init_cli

    init_cli(app)


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
