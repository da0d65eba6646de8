"""Settings for Giao Ban, read from the environment."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("GIAOBAN_INSTANCE", BASE_DIR / "instance"))


def _secret_key() -> str:
    """SECRET_KEY from the environment, or one generated once into instance/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{INSTANCE_DIR / 'giaoban.sqlite'}"
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Config:
    """Production and `make run` settings."""

    SECRET_KEY = None  # filled in by load()
    SQLALCHEMY_DATABASE_URI = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")
    BOOTSTRAP_SERVE_LOCAL = True
    READINESS_MAX_AGE_DAYS = _int("READINESS_MAX_AGE_DAYS", 30)
    WORKING_HOURS = os.environ.get("WORKING_HOURS", "08:00-12:00,13:00-17:00")
    WORKING_DAYS = frozenset(int(d) for d in os.environ.get("WORKING_DAYS", "0,1,2,3,4").split(","))  # Monday=0
    REMINDER_PENDING_BEFORE = timedelta(hours=_int("REMINDER_PENDING_HOURS", 24))
    REMINDER_ALL_BEFORE = timedelta(hours=_int("REMINDER_ALL_HOURS", 1))
    # Reminder rows are planned at booking only for meetings starting within this many days
    # (0: all); the scheduler's hourly top-up plans the rest as they come near (#17: a year's
    # daily series to the city is 400,000 rows otherwise).
    REMINDER_HORIZON = (timedelta(days=_int("REMINDER_HORIZON_DAYS", 14))
                        if _int("REMINDER_HORIZON_DAYS", 14) > 0 else None)
    # A follow-up task's lead unit is reminded from this many local days before its due day.
    TASK_REMIND_DAYS_BEFORE = _int("TASK_REMIND_DAYS_BEFORE", 2)
    # The scheduler process: reminder interval, SQLite leader takeover, how often a standby tries.
    SCHEDULER_TICK_SECONDS = float(os.environ.get("SCHEDULER_TICK_SECONDS", 20))
    SCHEDULER_LOCK_TIMEOUT = float(os.environ.get("SCHEDULER_LOCK_TIMEOUT", 60))
    SCHEDULER_STANDBY_POLL = float(os.environ.get("SCHEDULER_STANDBY_POLL", min(5.0, SCHEDULER_LOCK_TIMEOUT / 3)))
    # How long a write waits for a lock (SQLite's busy timeout, PostgreSQL's lock_timeout), and
    # how long one statement of a write may run on PostgreSQL (statement_timeout; 0: no limit).
    # When either fires the request answers 503 with Retry-After.
    DATABASE_LOCK_TIMEOUT = float(os.environ.get("DATABASE_LOCK_TIMEOUT", 30))
    DATABASE_STATEMENT_TIMEOUT = float(os.environ.get("DATABASE_STATEMENT_TIMEOUT", 120))
    FEED_PAST_DAYS = _int("FEED_PAST_DAYS", 90)
    FEED_FUTURE_DAYS = _int("FEED_FUTURE_DAYS", 365)
    # Without MAIL_SERVER, e-mails are written as .eml files under OUTBOX_DIR (instance/outbox/).
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    OUTBOX_DIR = os.environ.get("OUTBOX_DIR", str(INSTANCE_DIR / "outbox"))
    DELIVERY_MAX_ATTEMPTS = _int("DELIVERY_MAX_ATTEMPTS", 6)       # then parked for the admins
    DELIVERY_BACKOFF_SECONDS = _int("DELIVERY_BACKOFF_SECONDS", 30)  # doubled at each try
    DELIVERY_LEASE_SECONDS = _int("DELIVERY_LEASE_SECONDS", 120)     # a claim older than this is a dead sender's
    REMIND_THROTTLE = timedelta(minutes=_int("REMIND_THROTTLE_MINUTES", 10))
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "") == "1"
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "giaoban@localhost")
    # Documents of a briefing: the largest upload, and where the bytes live ("database": every
    # web server reads the same rows; "filesystem": files under DOCUMENT_DIR, a shared mount).
    DOCUMENT_MAX_BYTES = _int("DOCUMENT_MAX_BYTES", 20 * 1024 * 1024)
    DOCUMENT_STORAGE = os.environ.get("DOCUMENT_STORAGE", "database")
    DOCUMENT_DIR = os.environ.get("DOCUMENT_DIR", str(INSTANCE_DIR / "documents"))
    MAX_CONTENT_LENGTH = DOCUMENT_MAX_BYTES + 1024 * 1024  # the form around the file
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")
    # Failed sign-ins are counted in Redis when set, else in the database (webapp.sign_in_limit)
    REDIS_URL = os.environ.get("REDIS_URL") or None
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute")  # per client address
    RATELIMIT_LOGIN_ACCOUNT = os.environ.get("RATELIMIT_LOGIN_ACCOUNT", "10 per 10 minutes")  # per account
    # Reverse proxies in front of the app whose X-Forwarded-For is trusted (0: none, the
    # client address is the socket's peer). Behind one nginx, 1: the sign-in limit and the
    # audit log then see the real client, not the proxy; never more than the proxies there
    # are, or a client could name any address it likes.
    PROXY_FIX_X_FOR = _int("PROXY_FIX_X_FOR", 0)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "") == "1"
    # APIFlask: the OpenAPI document lives under the API prefix.
    SPEC_FORMAT = "json"
    INFO = {"description": "Giao Ban: meetings and videoconferences of a city's units."}
    AUTO_404_RESPONSE = True
    TESTING = False

    @classmethod
    def load(cls) -> dict:
        """The settings as a dict, with the values computed at start-up."""
        values = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        values["SECRET_KEY"] = values["SECRET_KEY"] or _secret_key()
        values["SQLALCHEMY_DATABASE_URI"] = values["SQLALCHEMY_DATABASE_URI"] or _database_url()
        return values


class TestConfig(Config):
    """Tests: a fixed key, no rate limit surprises; the database comes from the fixture."""

    TESTING = True
    SECRET_KEY = "test-secret-key"
    # Every reminder planned at booking, as the tests of reminders expect; the horizon's own
    # tests (tests/scheduler/test_reminder_horizon.py) set one.
    REMINDER_HORIZON = None
    WTF_CSRF_ENABLED = True
    REDIS_URL = None
    SERVER_NAME = None
