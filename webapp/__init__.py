"""The Flask application factory."""
from __future__ import annotations

import logging
import uuid
from pathlib import Path

from apiflask import APIFlask
from flask import g, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import BaseConverter, IntegerConverter

from config import Config
from models.base import ID_MAX
from models.database import configure_engine
from scheduler.signals import connect_receivers

from . import template_i18n
from .extensions import babel, bootstrap, csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


class DatabaseId(IntegerConverter):
    """`<int:...>` in every route. An id no database column can hold becomes 0, which no row
    has, so the view answers its usual 404 instead of the driver overflowing."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        return number if 0 < number <= ID_MAX else 0


class UnitRef(BaseConverter):
    """`<unit_ref:unit>` beside a literal segment: any unit reference but the word `outcome`, so
    `PUT /roll-call/<unit>` does not also claim `/roll-call/outcome` (its Allow header)."""

    regex = r"(?!outcome$)[^/]+"


def select_locale() -> str:
    """?lang= for this request and the next, then the user's choice, then Vietnamese.

    The API follows Accept-Language (its clients have no session); pages keep Vietnamese unless
    the person chooses, whatever the browser's language.
    """
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    lang = request.args.get("lang")
    if lang in languages:
        session["lang"] = lang
        return lang
    if session.get("lang") in languages:
        return session["lang"]
    if current_user and getattr(current_user, "locale", None) in languages:
        return current_user.locale
    if request.path.startswith("/api/") and request.accept_languages:
        return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def create_app(config: type[Config] | None = None, **overrides) -> APIFlask:
    """Build the app from a config class, with overrides for tests."""
    app = APIFlask(
        __name__,
        title="Giao Ban API",
        version="1.0",
        spec_path="/api/v1/openapi.json",
        docs_path=None,
        json_errors=False,
        template_folder=str(ROOT / "templates"),
        static_folder="static",
        instance_path=str(ROOT / "instance"),
    )
    app.url_map.converters["int"] = DatabaseId
    app.url_map.converters["unit_ref"] = UnitRef
    app.config.from_mapping((config or Config).load())
    app.config.update(overrides)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).parent / "translations")
    if app.config.get("PROXY_FIX_X_FOR"):
        # only the address: PUBLIC_URL, not X-Forwarded-Host/Proto, makes the external links
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=0, x_host=0,
                                x_port=0, x_prefix=0)

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine, app.config["DATABASE_LOCK_TIMEOUT"], app.config["DATABASE_STATEMENT_TIMEOUT"])
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    babel.init_app(app, locale_selector=select_locale)
    template_i18n.install(app)
    bootstrap.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    app.config.setdefault("RATELIMIT_ENABLED", True)  # the sign-in limit (webapp.sign_in_limit)

    from . import (
        admin_accounts,
        admin_audit,
        admin_bridges,
        attendance,
        auth,
        briefing,
        calendar_admin,
        calendars,
        cli,
        cli_bridges,
        errors,
        followup_pages,
        followup_report,
        hardening,
        meeting_record,
        meetings,
        notices,
        ops,
        readiness_pages,
        registry,
        reorganise,
        report_pages,
        report_rollup,
        roll_call,
        security,
    )
    from .api import bp as api_bp

    for module in (auth, registry, meetings, attendance, calendars, report_pages, ops, notices, admin_bridges,
                   admin_accounts, admin_audit, meeting_record, calendar_admin, reorganise,
                   report_rollup, readiness_pages, briefing, roll_call, followup_pages,
                   followup_report):
        app.register_blueprint(module.bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)
    errors.init_app(app)
    hardening.init_app(app)
    security.init_app(app)
    ops.init_app(app)
    cli.init_app(app)
    ops.register_cli(app)
    connect_receivers(app.config)
    cli_bridges.init_app(app)
    calendar_admin.register_cli(app)

    @app.before_request
    def _request_id():
        g.request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:16]

    from .labels import format_figure, format_ratio, period_label
    # globals, not a context processor: imported macros (the report's charts) use them too
    app.jinja_env.globals.update(format_ratio=format_ratio, format_figure=format_figure,
                                 period_label=period_label)

    @app.context_processor
    def _globals():
        from flask_babel import get_locale

        from .labels import LABELS, describe_series, label
        return {"current_locale": str(get_locale()),
                "has_endpoint": lambda name: name in app.view_functions,
                "labels": LABELS, "label": label, "describe_series": describe_series}

    logging.getLogger("giaoban").setLevel(logging.INFO)
    return app
