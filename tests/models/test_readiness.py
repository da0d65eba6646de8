"""Readiness at its boundaries, and the share of ready communes per district."""
from datetime import timedelta

import pytest

from models import ConnectivityCheck, Endpoint, db
from models.base import utcnow
from models.readiness import readiness
from models.registry import log_check


@pytest.fixture
def admin(make_user):
    return make_user("admin")


def endpoint(unit, status="ready"):
    e = Endpoint(unit=unit, name="Phòng họp trực tuyến", kind="room_system", status=status,
                 address="sip:ubnd@example.vn")
    db.session.add(e)
    db.session.commit()
    return e


@pytest.mark.parametrize("age_days, ready", [(29, True), (30, True), (31, False)])
def test_check_age_boundary(hanoi, admin, age_days, ready):
    now = utcnow()
    e = endpoint(hanoi["phuc_xa"])
    log_check(e, {"passed": True, "checked_at": now - timedelta(days=age_days)}, admin, now=now)
    assert e.is_ready(now, 30) is ready
    overall, _ = readiness(now, 30)
    assert overall.ready == (1 if ready else 0)


def test_failed_latest_check_after_a_pass(hanoi, admin):
    now = utcnow()
    e = endpoint(hanoi["phuc_xa"])
    log_check(e, {"passed": True, "checked_at": now - timedelta(days=3)}, admin, now=now)
    log_check(e, {"passed": False, "checked_at": now - timedelta(days=1)}, admin, now=now)
    assert not e.is_ready(now, 30)
    # An older check logged late does not overturn the newest one.
    log_check(e, {"passed": True, "checked_at": now - timedelta(days=2)}, admin, now=now)
    assert not e.is_ready(now, 30)
    assert db.session.query(ConnectivityCheck).count() == 3


@pytest.mark.parametrize("status, ready", [("planned", False), ("installed", True), ("ready", True),
                                           ("faulty", False), ("retired", False)])
def test_status_matters(hanoi, admin, status, ready):
    now = utcnow()
    e = endpoint(hanoi["phuc_xa"], status=status)
    log_check(e, {"passed": True}, admin, now=now)
    assert e.is_ready(now, 30) is ready


def test_share_per_district(hanoi, admin):
    now = utcnow()
    for key in ("phuc_xa", "truc_bach", "dong_xuan"):
        log_check(endpoint(hanoi[key]), {"passed": True}, admin, now=now)
    # A second ready endpoint in one commune still counts that commune once.
    log_check(endpoint(hanoi["phuc_xa"]), {"passed": True}, admin, now=now)
    overall, districts = readiness(now, 30)
    assert (overall.ready, overall.total, overall.share) == (3, 6, 50.0)
    by_code = {r.unit.code: (r.ready, r.total, r.share) for r in districts}
    assert by_code == {"001": (2, 3, 66.7), "002": (1, 3, 33.3)}


def test_empty_registry_has_no_share(app):
    overall, districts = readiness(utcnow(), 30)
    assert overall.total == 0 and overall.share is None and districts == []
