"""Fixtures: every database test runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.

Each engine gets a database this run creates, migrates with Alembic and drops. Between tests
the tables are emptied, so every test starts from the migrated, seeded schema.
"""
from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config import TestConfig
from models import Unit, User, db
from models.targets import seed_default_rules
from models.text import search_key
from models.users import issue_api_token
from webapp import create_app

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
ENGINES = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])
_LOOPBACK = ("127.", "::1", "localhost")


@pytest.fixture(autouse=True, scope="session")
def _no_network():
    """Fail any test that reaches beyond this machine."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else str(address)
        if self.family in (socket.AF_INET, socket.AF_INET6) and not str(host).startswith(_LOOPBACK):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    socket.socket.connect = guarded
    yield
    socket.socket.connect = real_connect


def pg_url(database: str | None = None):
    url = make_url(TEST_DATABASE_URL).set(drivername="postgresql+psycopg")
    return url.set(database=database) if database else url


def create_pg_database() -> str:
    name = f"giaoban_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(pg_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name


def drop_pg_database(name: str) -> None:
    admin = create_engine(pg_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def migrate(url: str) -> None:
    from flask_migrate import upgrade
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session", params=ENGINES)
def database_url(request, tmp_path_factory):
    """A migrated database of this run, per engine; dropped at the end."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'giaoban.sqlite'}"
        migrate(url)
        yield url
        return
    name = create_pg_database()
    url = pg_url(name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield url
    finally:
        drop_pg_database(name)


def _empty_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                                + " RESTART IDENTITY CASCADE"))
    else:
        for t in tables:
            db.session.execute(text(f'DELETE FROM "{t}"'))
    db.session.commit()


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url,
                     GIAOBAN_TMP=str(tmp_path))
    with app.app_context():
        _empty_tables()
        seed_default_rules(2019)
        yield app
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


@pytest.fixture
def engine_name(app) -> str:
    return db.engine.dialect.name


class ExpiringClient(FlaskClient):
    """Ends the test's transaction around each request: the request sees what the test wrote,
    and the test then reads what the request wrote."""

    def open(self, *args, **kwargs):
        db.session.commit()
        response = super().open(*args, **kwargs)
        db.session.commit()
        return response


@pytest.fixture
def web_app(app):
    """A second app object for requests, so each request has its own app context, `g` and
    session, as in a real server, rather than sharing the test's."""
    other = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       GIAOBAN_TMP=app.config["GIAOBAN_TMP"])
    other.test_client_class = ExpiringClient
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(web_app):
    return web_app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_unit(app) -> Callable[..., Unit]:
    """A factory: make_unit('commune', '00001', parent=district, name='Phường Phúc Xá')."""
    def make(level: str, code: str, parent: Unit | None = None, name: str | None = None,
             dataset: str = "legacy", division_type: str | None = None) -> Unit:
        name = name or f"{level.title()} {code}"
        unit = Unit(dataset="dept" if level == "department" else dataset, code=code, level=level,
                    division_type=division_type or {"city": "thành phố trung ương", "district": "quận",
                                                    "commune": "phường", "department": "sở"}[level],
                    name=name, search_name=search_key(name), parent=parent)
        db.session.add(unit)
        db.session.commit()
        return unit
    return make


@pytest.fixture
def hanoi(make_unit):
    """A small city: two districts of three communes each, and two departments."""
    city = make_unit("city", "01", name="Thành phố Hà Nội")
    ba_dinh = make_unit("district", "001", city, "Quận Ba Đình")
    hoan_kiem = make_unit("district", "002", city, "Quận Hoàn Kiếm")
    units = {"city": city, "ba_dinh": ba_dinh, "hoan_kiem": hoan_kiem,
             "phuc_xa": make_unit("commune", "00001", ba_dinh, "Phường Phúc Xá"),
             "truc_bach": make_unit("commune", "00004", ba_dinh, "Phường Trúc Bạch"),
             "vinh_phuc": make_unit("commune", "00006", ba_dinh, "Phường Vĩnh Phúc"),
             "phuc_tan": make_unit("commune", "00037", hoan_kiem, "Phường Phúc Tân"),
             "dong_xuan": make_unit("commune", "00040", hoan_kiem, "Phường Đồng Xuân"),
             "hang_ma": make_unit("commune", "00043", hoan_kiem, "Phường Hàng Mã"),
             "stttt": make_unit("department", "STTTT", city, "Sở Thông tin và Truyền thông"),
             "snv": make_unit("department", "SNV", city, "Sở Nội vụ")}
    return units


@pytest.fixture
def make_user(app) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(role: str, unit: Unit | None = None, email: str | None = None,
             password: str = "correct horse") -> User:
        user = User(email=email or f"{role}{next(counter)}@example.vn", role=role, unit=unit)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        return user
    return make


@pytest.fixture
def token_for(app) -> Callable[[User], dict]:
    """Bearer headers for a user."""
    def make(user: User) -> dict:
        token = issue_api_token(user)
        db.session.commit()
        return {"Authorization": f"Bearer {token}"}
    return make


class AuthActions:
    def __init__(self, client):
        self.client = client

    def csrf(self, path: str = "/login") -> str:
        import re
        page = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
            re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, user: User, password: str = "correct horse"):
        return self.client.post("/login", data={"email": user.email, "password": password,
                                                "csrf_token": self.csrf()})

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": self.csrf("/units")})


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def make_meeting(app) -> Callable[..., "Meeting"]:
    """A factory that writes a meeting row and its invitations directly, without booking rules.

    make_meeting(organizer, start, hours=2, participants=[...], mode="online",
                 category="giao_ban", status="scheduled", outcome_mode=None, connected=())
    `start` is an aware datetime. Use the booking verbs when the rules are what is tested.
    """
    import uuid as _uuid
    from datetime import timedelta

    from models import Invitation, Meeting

    def make(organizer: Unit, start, hours: float = 2, participants=(), mode: str = "online",
             category: str = "giao_ban", status: str = "scheduled", title: str | None = None,
             outcome_mode: str | None = None, connected=(), **extra) -> Meeting:
        meeting = Meeting(uid=f"{_uuid.uuid4()}@giaoban", title=title or f"Họp {category}",
                          category=category, organizer=organizer, mode=mode, start_at=start,
                          end_at=start + timedelta(hours=hours), status=status,
                          outcome_mode=outcome_mode if status == "held" else None, **extra)
        connected_ids = {u.id for u in connected}
        for unit in participants:
            meeting.invitations.append(Invitation(
                unit=unit, connected=(unit.id in connected_ids) if status == "held" else None))
        db.session.add(meeting)
        db.session.commit()
        return meeting
    return make


@pytest.fixture
def now():
    """A fixed 'now' early in 2019, so tests book 2019 meetings as upcoming ones."""
    from datetime import UTC, datetime
    return datetime(2019, 1, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def equipped(hanoi):
    """Every unit of the small city gets a ready endpoint (checked just now)."""
    from models import Endpoint
    from models.base import utcnow
    endpoints = {}
    for key, unit in hanoi.items():
        e = Endpoint(unit=unit, name=f"Điểm cầu {unit.name}", kind="room_system", status="ready",
                     address=f"sip:{unit.code}@hn.vn", last_check_at=utcnow(), last_check_passed=True)
        db.session.add(e)
        endpoints[key] = e
    db.session.commit()
    return endpoints


@pytest.fixture
def bridge(app):
    from models import Bridge
    b = Bridge(name="MCU Thành phố", capacity=100)
    db.session.add(b)
    db.session.commit()
    return b


@pytest.fixture
def organizer(hanoi, make_user):
    """An organiser at the city: may book for the city and every unit below it."""
    return make_user("organizer", hanoi["city"])
