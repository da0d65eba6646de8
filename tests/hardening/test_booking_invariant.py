"""The booking invariant holds whatever sequence of POST and PATCH reaches the API (#12)."""
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from models import Bridge, EndpointBooking, Meeting, db
from tests.fixtures.database import empty_meetings

NOW = datetime(2019, 1, 2, 1, 0, tzinfo=UTC)
BASE = datetime(2019, 3, 4, 1, 0, tzinfo=UTC)   # 08:00 in Hanoi
UNITS = ["legacy:00001", "legacy:00004", "legacy:00037", "legacy:00040"]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def small_bridge(app):
    b = Bridge(name="MCU 3 cổng", capacity=3)
    db.session.add(b)
    db.session.commit()
    return b


@pytest.fixture
def headers(organizer, token_for):
    return token_for(organizer)


def post(client, headers, bridge, start, end, participants, title="Họp"):
    return client.post("/api/v1/meetings", headers=headers, json={
        "title": title, "category": "giao_ban", "organizer": "legacy:01", "mode": "online",
        "start": start.isoformat(), "end": end.isoformat(), "participants": participants,
        "bridge": bridge.id})


def test_patch_of_end_only_cannot_stretch_past_24_hours(client, equipped, bridge, headers):
    r = post(client, headers, bridge, BASE, BASE + timedelta(hours=2), ["legacy:00001"])
    assert r.status_code == 201, r.json
    mid = r.json["id"]
    r = client.patch(f"/api/v1/meetings/{mid}", headers=headers,
                     json={"end": (BASE + timedelta(hours=72)).isoformat()})
    assert r.status_code == 422, r.json
    assert "end" in r.json["error"]["details"]
    r = client.patch(f"/api/v1/meetings/{mid}", headers=headers,
                     json={"start": (BASE - timedelta(hours=48)).isoformat()})
    assert r.status_code == 422, r.json
    m = db.session.get(Meeting, mid)
    db.session.refresh(m)
    assert m.end_at - m.start_at == timedelta(hours=2)


def test_stretched_meeting_cannot_double_book(client, equipped, small_bridge, headers):
    """The issue's reproduction: stretch one, then book inside the stretch."""
    first = post(client, headers, small_bridge, BASE, BASE + timedelta(hours=1), ["legacy:00001"]).json
    client.patch(f"/api/v1/meetings/{first['id']}", headers=headers,
                 json={"end": (BASE + timedelta(hours=72)).isoformat()})
    later = BASE + timedelta(hours=48)
    r = post(client, headers, small_bridge, later, later + timedelta(hours=1), ["legacy:00001"])
    assert r.status_code == 201, r.json   # the stretch was refused, so the slot is free
    assert_invariant()


@pytest.mark.parametrize("table", [Meeting, EndpointBooking])
def test_the_database_refuses_a_session_longer_than_24_hours(client, equipped, bridge, headers, table):
    r = post(client, headers, bridge, BASE, BASE + timedelta(hours=2), ["legacy:00001"])
    assert r.status_code == 201
    with pytest.raises(IntegrityError):
        db.session.execute(update(table).values(end_at=BASE + timedelta(hours=25)))
        db.session.flush()
    db.session.rollback()
    db.session.execute(update(table).values(end_at=BASE + timedelta(hours=24)))
    db.session.rollback()


def test_a_constraint_refusal_names_the_clash(client, equipped, bridge, headers, engine_name, monkeypatch):
    """When the check before the write misses a clash, the database refuses, and the 409 names it."""
    import scheduler.booking
    import scheduler.changes
    first = post(client, headers, bridge, BASE, BASE + timedelta(hours=2), ["legacy:00001"]).json
    second = post(client, headers, bridge, BASE + timedelta(hours=3), BASE + timedelta(hours=4),
                  ["legacy:00001"]).json
    real = scheduler.booking.check_plan
    calls = []

    def blind_once(plan, exclude=()):
        calls.append(1)
        return [] if len(calls) == 1 else real(plan, exclude)
    monkeypatch.setattr(scheduler.changes, "check_plan", blind_once)
    monkeypatch.setattr(scheduler.booking, "check_plan", blind_once)
    r = client.patch(f"/api/v1/meetings/{second['id']}", headers=headers,
                     json={"start": (BASE + timedelta(hours=1)).isoformat()})
    if engine_name == "postgresql":   # the exclusion constraint refuses; SQLite relies on its lock
        assert r.status_code == 409, r.json
        conflicts = r.json["error"]["details"]["conflicts"]
        assert [c["meeting_id"] for c in conflicts] == [first["id"]]
    else:
        assert r.status_code == 200
    from scheduler.booking import UNNAMED_CLASH
    assert UNNAMED_CLASH["reason"] == "concurrent_booking"


def assert_invariant() -> None:
    """An independent sweep of the whole database: no endpoint twice at once, no bridge over."""
    db.session.commit()
    rows = db.session.execute(text(
        "SELECT b.endpoint_id, b.start_at, b.end_at, m.start_at, m.end_at FROM endpoint_bookings b "
        "JOIN meetings m ON m.id = b.meeting_id WHERE b.active AND m.status <> 'cancelled'")).all()
    by_endpoint = defaultdict(list)
    for endpoint_id, bs, be, ms, me in rows:
        assert (str(bs), str(be)) == (str(ms), str(me)), "a booking's copy of the range drifted"
        by_endpoint[endpoint_id].append((_aware(bs), _aware(be)))
    for endpoint_id, spans in by_endpoint.items():
        spans.sort()
        for (_s1, e1), (s2, _e2) in zip(spans, spans[1:]):
            assert s2 >= e1, f"endpoint {endpoint_id} is in two sessions at {s2}"
    capacity = dict(db.session.execute(select(Bridge.id, Bridge.capacity)).all())
    sessions = db.session.execute(text(
        "SELECT bridge_id, start_at, end_at, ports FROM meetings "
        "WHERE status <> 'cancelled' AND bridge_id IS NOT NULL")).all()
    events = defaultdict(list)
    for bridge_id, s, e, ports in sessions:
        events[bridge_id] += [(_aware(s), -0, ports), (_aware(e), -1, -ports)]
    for bridge_id, evs in events.items():
        load = 0
        for _at, _order, delta in sorted(evs, key=lambda ev: (ev[0], ev[2])):
            load += delta
            assert load <= capacity[bridge_id], f"bridge {bridge_id} carries {load} ports"


def _aware(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


hours = st.integers(min_value=0, max_value=96)
durations = st.integers(min_value=1, max_value=80)
operation = st.one_of(
    st.tuples(st.just("post"), hours, durations,
              st.lists(st.sampled_from(UNITS), min_size=1, max_size=3, unique=True)),
    st.tuples(st.just("patch"), st.integers(0, 20), st.sampled_from(["start", "end", "both"]),
              hours, durations))


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=st.lists(operation, min_size=3, max_size=10))
def test_random_posts_and_patches_keep_the_invariant(client, equipped, small_bridge, headers, ops):
    empty_meetings()
    ids: list[int] = []
    for op in ops:
        if op[0] == "post":
            _, h, d, units = op
            start = BASE + timedelta(hours=h)
            r = post(client, headers, small_bridge, start, start + timedelta(hours=d), units)
            assert r.status_code in (201, 409, 422), r.json
            if r.status_code == 201:
                ids.append(r.json["id"])
        elif ids:
            _, which, field, h, d = op
            mid = ids[which % len(ids)]
            start = BASE + timedelta(hours=h)
            body = {"start": start.isoformat(), "end": (start + timedelta(hours=d)).isoformat()}
            if field != "both":
                body = {field: body[field] if field == "start" else
                        (BASE + timedelta(hours=h + d)).isoformat()}
            r = client.patch(f"/api/v1/meetings/{mid}", headers=headers, json=body)
            assert r.status_code in (200, 409, 422), r.json
            if r.status_code == 409:
                assert r.json["error"]["details"]["conflicts"]
    assert_invariant()
    for m in db.session.scalars(select(Meeting)):
        assert m.end_at - m.start_at <= timedelta(hours=24)
