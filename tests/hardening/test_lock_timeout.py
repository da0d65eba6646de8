"""A write that cannot get its lock in time answers 503 with Retry-After, on both engines (#12).

Another connection holds the lock (PostgreSQL: the endpoint's row, FOR UPDATE; SQLite: the
database's write lock, BEGIN IMMEDIATE); an app configured with a 1 s lock timeout then
tries to change that endpoint.
"""
import sqlite3
import time

import pytest
from sqlalchemy import select, text

from config import TestConfig
from models import Endpoint, db
from models.database import write_transaction
from webapp import create_app


@pytest.fixture
def impatient(database_url):
    """A second app on the same database (another worker) that waits 1 s for a lock."""
    other = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url, DATABASE_LOCK_TIMEOUT=1,
                       DATABASE_STATEMENT_TIMEOUT=5)
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def hold_lock(engine_name: str, database_url: str, endpoint_id: int):
    if engine_name == "sqlite":
        conn = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        return conn
    conn = db.engine.connect()
    conn.execute(text("SELECT id FROM endpoints WHERE id = :id FOR UPDATE"), {"id": endpoint_id})
    return conn


def test_a_write_behind_a_held_lock_answers_503_after_the_configured_timeout(
        app, engine_name, database_url, hanoi, equipped, make_user, token_for, impatient):
    headers = token_for(make_user("admin"))
    endpoint_id = db.session.scalar(select(Endpoint.id).where(Endpoint.unit_id == hanoi["phuc_xa"].id))
    db.session.commit()
    client = impatient.test_client()
    assert client.patch(f"/api/v1/endpoints/{endpoint_id}", headers=headers,
                        json={"room": "Phòng 1"}).status_code == 200
    holder = hold_lock(engine_name, database_url, endpoint_id)
    try:
        began = time.monotonic()
        r = client.patch(f"/api/v1/endpoints/{endpoint_id}", headers=headers, json={"room": "Phòng 2"})
        waited = time.monotonic() - began
    finally:
        holder.rollback() if engine_name != "sqlite" else holder.execute("ROLLBACK")
        holder.close()
    assert r.status_code == 503 and r.headers["Retry-After"], r.json
    assert r.json["error"]["code"] == "unavailable"
    assert 0.9 <= waited < 10  # the configured second, not the 30 s default
    db.session.expire_all()
    assert db.session.get(Endpoint, endpoint_id).room == "Phòng 1"  # nothing half-written
    r = client.patch(f"/api/v1/endpoints/{endpoint_id}", headers=headers, json={"room": "Phòng 3"})
    assert r.status_code == 200  # the lock released, the same write goes through


def test_write_transactions_carry_the_timeouts_and_reads_do_not(app, engine_name, impatient):
    if engine_name == "sqlite":  # a connection setting there: every connection waits the configured second
        with impatient.app_context():
            assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 1000
            db.session.rollback()
            with write_transaction():
                assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 1000
        return
    with impatient.app_context():
        assert db.session.execute(text("SHOW lock_timeout")).scalar() == "0"
        db.session.rollback()
        with write_transaction():
            assert db.session.execute(text("SHOW lock_timeout")).scalar() == "1s"
            assert db.session.execute(text("SHOW statement_timeout")).scalar() == "5s"
        assert db.session.execute(text("SHOW lock_timeout")).scalar() == "0"
