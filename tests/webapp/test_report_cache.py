"""The report's figures are cached per (period, scope, data version) and served with ETag and
Last-Modified (issue #17): a 304 while nothing changed, and every write that can change the
figures moves the data version on, so the next conditional GET answers 200 with new figures."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from models import Meeting, db
from models.base import utcnow
from models.data_version import data_version
from models.registry_import import import_units
from models.targets import TargetRule, save_target_rule
from reports import figures_cache
from scheduler.booking import book_meeting
from scheduler.changes import cancel_meeting, change_meeting
from scheduler.outcomes import record_outcome
from tests.booking_data import meeting_data
from tests.reports.cases import build_cases, by_key

API = "/api/v1/reports/online-ratio?period=2019-03"
FIXED = datetime(2026, 3, 2, 3, 0, 30, tzinfo=UTC)


@pytest.fixture
def cases(hanoi, make_meeting):
    figures_cache.cache_clear()
    return build_cases(hanoi, make_meeting)


@pytest.fixture
def admin(make_user):
    return make_user("admin")


@pytest.fixture
def headers(admin, token_for):
    return token_for(admin)


def _get(client, headers, etag=None, url=API):
    extra = {"If-None-Match": etag} if etag else {}
    return client.get(url, headers=headers | extra)


def _fresh(client, headers, etag):
    """The conditional GET after a write: a 200 with another ETag."""
    r = _get(client, headers, etag)
    assert r.status_code == 200 and r.headers["ETag"] and r.headers["ETag"] != etag
    return r


def test_unchanged_figures_answer_304_and_are_built_once(client, cases, headers):
    first = _get(client, headers)
    assert first.status_code == 200 and first.headers["ETag"] and first.headers["Last-Modified"]
    assert first.headers["Cache-Control"] == "private, no-cache"
    again = _get(client, headers, first.headers["ETag"])
    assert again.status_code == 304 and again.get_data() == b""
    assert client.get(API, headers=headers | {"If-Modified-Since": first.headers["Last-Modified"]}
                      ).status_code == 304
    misses = figures_cache.cache_stats()["misses"]
    assert _get(client, headers).json == first.json  # served from the cache: no new build
    assert figures_cache.cache_stats()["misses"] == misses


def test_a_write_elsewhere_than_the_figures_keeps_the_304(client, cases, headers, make_user):
    etag = _get(client, headers).headers["ETag"]
    make_user("viewer")  # users are not what the figures are made of
    assert _get(client, headers, etag).status_code == 304


def test_recording_an_outcome_moves_the_figures(client, cases, headers, admin):
    first = _get(client, headers)
    awaiting = cases[6]
    record_outcome(awaiting, {"status": "held", "mode": "online", "connected": []}, admin, utcnow())
    after = _fresh(client, headers, first.headers["ETag"])
    assert by_key(after.json) != by_key(first.json)


@pytest.mark.parametrize("verb", ["book", "cancel", "change"])
def test_booking_cancelling_and_changing_move_the_version(client, cases, headers, hanoi,
                                                          make_user, verb):
    organizer = make_user("organizer", hanoi["city"])
    now = utcnow()
    start = (now + timedelta(days=9)).replace(hour=2, minute=0, second=0, microsecond=0)
    booked = book_meeting(meeting_data(mode="in_person", start=start, end=start + timedelta(hours=1)),
                          organizer, now)
    meeting = db.session.scalar(select(Meeting).where(Meeting.start_at == start))
    assert booked is not None and meeting is not None
    etag = _get(client, headers).headers["ETag"]
    before = data_version()
    if verb == "book":
        later = start + timedelta(days=1)
        book_meeting(meeting_data(mode="in_person", start=later, end=later + timedelta(hours=1)),
                     organizer, now)
    elif verb == "cancel":
        cancel_meeting(meeting, organizer, now)
    else:
        change_meeting(meeting, {"title": "Giao ban đã đổi"}, organizer, now)
    assert data_version().number != before.number
    _fresh(client, headers, etag)


def test_editing_a_target_rule_moves_the_figures(client, cases, headers, admin):
    first = _get(client, headers)
    rule = db.session.scalar(select(TargetRule).where(TargetRule.plan_year == 2019)
                             .order_by(TargetRule.code).limit(1))
    save_target_rule({"plan_year": rule.plan_year, "code": rule.code, "name": rule.name,
                      "levels": list(rule.levels), "categories": list(rule.categories),
                      "target": 99}, admin, rule)
    after = _fresh(client, headers, first.headers["ETag"])
    assert by_key(after.json)["rules"][rule.code]["target"] == 99


def test_a_unit_import_moves_the_version(client, headers):
    figures_cache.cache_clear()
    first = _get(client, headers)
    assert first.status_code == 200
    import_units(1, "legacy")
    after = _fresh(client, headers, first.headers["ETag"])
    assert len(after.json["organizers"]) >= len(first.json["organizers"])


def test_the_page_and_its_files_are_conditional(client, cases, admin, auth, monkeypatch):
    import webapp.report_http
    import webapp.report_pages
    monkeypatch.setattr(webapp.report_pages, "utcnow", lambda: FIXED)
    monkeypatch.setattr(webapp.report_http, "utcnow", lambda: FIXED)
    auth.login(admin)
    seen = set()
    for url in ("/reports/online-ratio?period=2019-03",
                "/reports/online-ratio/download?period=2019-03&format=csv",
                "/reports/online-ratio/download?period=2019-03&format=xlsx"):
        first = client.get(url)
        assert first.status_code == 200 and first.headers["ETag"], url
        assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
        seen.add(first.headers["ETag"])
        record_outcome(cases[6], {"status": "cancelled"} if cases[6].status != "cancelled"
                       else {"status": "held", "mode": "online", "connected": []}, admin, utcnow())
        again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 200 and again.headers["ETag"] != first.headers["ETag"], url
    assert len(seen) == 3  # a page, a CSV and an XLSX never share validators


def test_a_core_insert_through_the_session_moves_the_version(client, cases, headers, hanoi):
    """The demo and the set-based booking write with Core `insert(table)` statements."""
    from sqlalchemy import insert
    first = _get(client, headers)
    etag = first.headers["ETag"]
    start = datetime(2019, 3, 8, 2, 0, tzinfo=UTC)
    db.session.execute(insert(Meeting.__table__), [{
        "uid": "core-insert@giaoban", "title": "Họp", "category": "giao_ban", "mode": "online",
        "organizer_id": hanoi["phuc_xa"].id, "start_at": start, "end_at": start + timedelta(hours=1),
        "status": "held", "outcome_mode": "online", "revision": 0}])
    db.session.commit()
    after = _fresh(client, headers, etag)
    assert by_key(after.json) != by_key(first.json)
