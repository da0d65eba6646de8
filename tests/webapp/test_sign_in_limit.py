"""The sign-in limit holds across web workers (two app objects on one database, or on one
Redis), per client address and per account, with a translated refusal and Retry-After."""
from __future__ import annotations

import socket
import uuid

import pytest

from config import TestConfig
from models import db
from tests.fixtures.web import AuthActions, ExpiringClient
from webapp import create_app
from webapp.sign_in_limit import _storages


def worker(app, **settings):
    """Another web worker: its own app object (its own memory) on the same database."""
    other = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       GIAOBAN_TMP=app.config["GIAOBAN_TMP"], **settings)
    other.test_client_class = ExpiringClient
    return other


@pytest.fixture
def workers(app, request):
    settings = getattr(request, "param", {})
    made = [worker(app, RATELIMIT_LOGIN="4 per minute", **settings) for _ in range(2)]
    yield made
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def attempt(client, email: str, address: str, password: str = "wrong"):
    token = AuthActions(client).csrf()
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


REDIS = {"REDIS_URL": "redis://127.0.0.1:6379/15"}
STORES = [pytest.param({}, id="database"),
          pytest.param(REDIS, id="redis",
                       marks=pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379"))]


@pytest.mark.parametrize("workers", STORES, indirect=True)
def fresh(make_user):
    """An account no earlier run has counted against (Redis outlives the test database)."""
    return make_user("viewer", email=f"{uuid.uuid4().hex[:12]}@example.vn")


def test_two_workers_share_the_count_per_address(workers, make_user):
    user = fresh(make_user)
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"  # fresh in a shared Redis
    clients = [w.test_client() for w in workers]
    codes = [attempt(clients[i % 2], user.email, address).status_code for i in range(6)]
    assert codes == [200, 200, 200, 200, 429, 429]  # 4 in all, not 4 per worker
    # the right password is not even tried once refused: no answer to a guess
    assert attempt(clients[0], user.email, address, "correct horse").status_code == 429
    assert attempt(clients[1], f"{uuid.uuid4().hex[:12]}@example.vn", f"{address}1").status_code == 200


@pytest.mark.parametrize("workers", STORES, indirect=True)
def test_an_account_is_limited_whatever_the_address(workers, make_user):
    for w in workers:
        w.config["RATELIMIT_LOGIN_ACCOUNT"] = "3 per 10 minutes"
    email = f"{uuid.uuid4().hex[:8]}@example.vn"
    user = make_user("viewer", email=email)
    clients = [w.test_client() for w in workers]
    codes = [attempt(clients[i % 2], user.email, f"10.1.{i}.{uuid.uuid4().int % 250}").status_code
             for i in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    # an e-mail with no account is counted the same way: the refusal tells nobody who has one
    ghost = f"{uuid.uuid4().hex[:8]}@example.vn"
    codes = [attempt(clients[i % 2], ghost, f"10.2.{i}.{uuid.uuid4().int % 250}").status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
    # another account from one of those addresses is not held back
    other = fresh(make_user)
    assert attempt(clients[0], other.email, f"10.3.0.{uuid.uuid4().int % 250}", "correct horse").status_code == 302


def test_the_refusal_is_translated_and_says_when_to_come_back(workers, make_user):
    user = make_user("viewer")
    client = workers[0].test_client()
    for _ in range(4):
        attempt(client, user.email, "10.4.0.1")
    r = attempt(client, user.email, "10.4.0.1")
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 60
    assert "Đăng nhập sai quá nhiều lần từ địa chỉ này hoặc với tài khoản này. " \
           "Vui lòng thử lại sau 1 phút." in r.get_data(as_text=True)
    client.post("/lang/en", data={"csrf_token": AuthActions(client).csrf(), "next": "/login"})
    english = attempt(client, user.email, "10.4.0.1")
    assert "Try again in 1 minute." in english.get_data(as_text=True)


def test_a_failed_sign_in_is_in_the_audit_log(workers, make_user):
    from sqlalchemy import select

    from models.audit import AuditLog
    user = make_user("viewer")
    attempt(workers[0].test_client(), user.email, "10.5.0.1")
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "sign_in_failed")).one()
    assert row.entity_id == user.id and row.after["address"] == "10.5.0.1"
    assert user.email not in str(row.after)  # the typed e-mail is kept as a digest only


@pytest.fixture(autouse=True)
def _fresh_redis_storages():
    _storages.clear()
    yield
    _storages.clear()


class CountingHasher:
    """The real argon2 hasher, counting its verifications."""

    def __init__(self, real):
        self.real, self.verified = real, 0

    def hash(self, password):
        return self.real.hash(password)

    def verify(self, stored, password):
        self.verified += 1
        return self.real.verify(stored, password)


def test_an_unknown_email_costs_the_same_verification_as_a_known_one(workers, make_user, monkeypatch):
    from models import users
    counting = CountingHasher(users._hasher)
    monkeypatch.setattr(users, "_hasher", counting)
    known, disabled = make_user("viewer"), make_user("viewer")
    disabled.is_enabled = False
    db.session.commit()
    client = workers[0].test_client()
    for n, email in enumerate([known.email, "nobody@example.vn", disabled.email]):
        before = counting.verified
        assert attempt(client, email, f"10.6.0.{n}").status_code == 200
        assert counting.verified - before == 1, email  # one argon2 verification, account or not


def test_the_office_reads_failed_sign_ins_in_the_audit_trail(workers, make_user, client, auth):
    user = fresh(make_user)
    attempt(workers[0].test_client(), user.email, "10.7.0.1")
    attempt(workers[0].test_client(), "nobody.here@example.vn", "10.7.0.2")
    auth.login(make_user("admin"))
    page = client.get("/audit?action=sign_in_failed")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count("đăng nhập sai") >= 3  # the filter's option and two rows


def spoofed(client, email: str, forwarded: str, peer: str = "10.9.0.1"):
    """A failed sign-in arriving from `peer` (a proxy, or the client itself) with X-Forwarded-For."""
    token = AuthActions(client).csrf()
    return client.post("/login", data={"email": email, "password": "wrong", "csrf_token": token},
                       environ_base={"REMOTE_ADDR": peer}, headers={"X-Forwarded-For": forwarded})


def test_without_a_trusted_proxy_a_forged_forwarded_for_does_not_escape_the_limit(workers, make_user):
    client = workers[0].test_client()  # PROXY_FIX_X_FOR unset: 0, nothing trusted
    codes = [spoofed(client, f"{uuid.uuid4().hex[:12]}@example.vn", f"198.51.100.{i}").status_code
             for i in range(6)]
    assert codes == [200, 200, 200, 200, 429, 429]  # one peer, one count, whatever it claims
    from sqlalchemy import select

    from models.audit import AuditLog
    addresses = {row.after["address"] for row in db.session.scalars(
        select(AuditLog).where(AuditLog.action == "sign_in_failed"))}
    assert addresses == {"10.9.0.1"}


def test_behind_a_trusted_proxy_the_limit_counts_the_real_client(app, make_user):
    behind = worker(app, RATELIMIT_LOGIN="4 per minute", PROXY_FIX_X_FOR=1)
    try:
        client = behind.test_client()
        proxy = "10.9.0.2"
        first = [spoofed(client, f"{uuid.uuid4().hex[:12]}@example.vn", "203.0.113.5", proxy).status_code
                 for _ in range(5)]
        assert first == [200, 200, 200, 200, 429]
        # another client through the same proxy is not held back by the first one's failures
        assert spoofed(client, f"{uuid.uuid4().hex[:12]}@example.vn", "203.0.113.6", proxy).status_code == 200
        # one hop trusted: a client prepending addresses of its own is still known by the last one
        assert spoofed(client, f"{uuid.uuid4().hex[:12]}@example.vn", "192.0.2.1, 203.0.113.5",
                       proxy).status_code == 429
        from sqlalchemy import select

        from models.audit import AuditLog
        with behind.app_context():
            addresses = {row.after["address"] for row in db.session.scalars(
                select(AuditLog).where(AuditLog.action == "sign_in_failed"))}
        assert addresses == {"203.0.113.5", "203.0.113.6"}
    finally:
        with behind.app_context():
            db.session.remove()
            db.engine.dispose()
