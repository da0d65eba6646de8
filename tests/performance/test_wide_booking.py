"""Booking many units costs what booking two does: the SQL statements, the rows Python sends and
the ORM objects built do not grow with the number of invited units (counted, never timed)."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import event, func, select

from models import Delivery, Endpoint, Invitation, Meeting, Notice, Unit, User, db
from models.base import utcnow
from scheduler.participants import resolve_invitees, resolve_participants

NOW = datetime(2019, 1, 2, 1, 0, tzinfo=UTC)
EXTRA = 40  # communes added to the small city: 2 invited against 48


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def wide(hanoi, equipped, make_unit):
    """The small city with 40 more communes, each with a ready endpoint."""
    for i in range(EXTRA):
        unit = make_unit("commune", f"{10000 + i:05d}", hanoi["hoan_kiem" if i % 2 else "ba_dinh"])
        db.session.add(Endpoint(unit=unit, name=f"Điểm cầu {unit.name}", kind="room_system", status="ready",
                                address=f"sip:{unit.code}@hn.vn", last_check_at=utcnow(),
                                last_check_passed=True))
    db.session.commit()
    return hanoi


class Watch:
    """What the database was sent, and which ORM objects were built from its rows."""

    def __init__(self, engine=None):
        self.engine = engine if engine is not None else db.engine
        self.statements: list[str] = []
        self.rows_sent = 0  # parameter sets: an executemany of n rows counts n
        self.loaded: Counter[str] = Counter()

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._sql)
        for model in (Unit, Invitation, Notice, Delivery, Endpoint):
            event.listen(model, "load", self._load)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._sql)
        for model in (Unit, Invitation, Notice, Delivery, Endpoint):
            event.remove(model, "load", self._load)

    def _sql(self, _conn, _cursor, statement, parameters, _context, executemany):
        if statement.strip().upper() in ("BEGIN", "BEGIN IMMEDIATE"):  # SQLite's own transaction start
            return
        self.statements.append(statement)
        self.rows_sent += len(parameters) if executemany else 1

    def _load(self, target, _context):
        self.loaded[type(target).__name__] += 1


def _served_by(client):
    """The engine of the app the test client sends its requests to (`web_app`, not `app`)."""
    with client.application.app_context():
        return db.engine


def _post(client, headers, bridge, participants, day):
    body = {"title": "Giao ban", "category": "giao_ban", "organizer": "legacy:01", "mode": "online",
            "start": f"2019-03-{day:02d}T08:00:00+07:00", "end": f"2019-03-{day:02d}T10:00:00+07:00",
            "participants": participants, "bridge": bridge.id}
    db.session.remove()  # each request starts from an empty session, as in a server
    with Watch(_served_by(client)) as watch:
        r = client.post("/api/v1/meetings", json=body, headers=headers)
    assert r.status_code == 201, r.get_json()
    return r.get_json(), watch


def test_booking_48_units_through_the_api_costs_what_booking_2_does(client, wide, bridge, organizer,
                                                                    token_for):
    headers = token_for(organizer)
    few, small = _post(client, headers, bridge, ["legacy:00001", "legacy:00004"], 4)
    many, large = _post(client, headers, bridge, ["all:districts_and_communes"], 5)
    assert len(few["participants"]) == 2
    assert len(many["participants"]) == 2 + 6 + EXTRA
    assert len(small.statements) > 10  # the request's statements are seen
    assert len(large.statements) <= len(small.statements) + 1, "\n".join(s[:100] for s in large.statements)
    # Nothing is sent row by row: notices, in-app deliveries, invitations, bookings, reminders
    # are written by INSERT ... SELECT (only e-mail deliveries go per address, and none here).
    assert large.rows_sent <= small.rows_sent + 1
    # No invited unit, invitation, notice or delivery becomes an ORM object.
    for kind in ("Unit", "Invitation", "Notice", "Delivery", "Endpoint"):
        assert large.loaded[kind] <= small.loaded[kind], (kind, large.loaded, small.loaded)
    # What the rows say is unchanged.
    meeting = db.session.scalar(select(Meeting).where(Meeting.id == many["id"]))
    invited = db.session.scalar(select(func.count()).select_from(Invitation).where(Invitation.meeting_id == meeting.id))
    notices = db.session.scalars(select(Notice).where(Notice.meeting_id == meeting.id)).all()
    assert invited == len(notices) == 48
    assert {(n.kind, n.method, n.occurrences, n.series_id, n.changes) for n in notices} == {
        ("booked", "REQUEST", 1, None, None)}
    deliveries = db.session.scalars(select(Delivery).where(Delivery.notice_id.in_([n.id for n in notices]))).all()
    assert sorted(d.recipient for d in deliveries) == sorted(f"unit:{n.unit_id}" for n in notices)
    assert all(d.channel == "in_app" and d.sent_at is not None and d.attempts == 0 for d in deliveries)
    answered = {p["unit"] for p in many["participants"]}
    assert "legacy:00001" in answered and "legacy:10000" in answered
    assert all(p["response"] == "pending" and p["name"] for p in many["participants"])


def test_e_mail_deliveries_go_to_the_units_users_and_contacts(client, wide, bridge, organizer, token_for,
                                                              make_user):
    clerk = make_user("clerk", wide["phuc_xa"], email="clerk@phucxa.vn")
    clerk.email_notices = True
    wide["truc_bach"].contact_emails = "vanthu@trucbach.vn"
    db.session.commit()
    phuc_xa, truc_bach, clerk_id = wide["phuc_xa"].id, wide["truc_bach"].id, clerk.id
    answer, _watch = _post(client, token_for(organizer), bridge, ["communes:legacy:001"], 6)
    rows = db.session.execute(select(Notice.unit_id, Delivery.channel, Delivery.recipient, Delivery.locale)
                              .join(Delivery, Delivery.notice_id == Notice.id)
                              .where(Notice.meeting_id == answer["id"], Delivery.channel == "email")).all()
    assert sorted((u, r) for u, _c, r, _l in rows) == sorted(
        [(phuc_xa, "clerk@phucxa.vn"), (truc_bach, "vanthu@trucbach.vn")])
    assert {r: locale for _u, _c, r, locale in rows}["vanthu@trucbach.vn"] == "vi"
    assert db.session.get(User, clerk_id).email == "clerk@phucxa.vn"


def test_selectors_are_resolved_in_two_statements_whatever_their_number(app, wide):
    city = wide["city"]
    items = ["communes:legacy:001", "communes:legacy:002", "subtree:legacy:001", "legacy:00040",
             "STTTT", "all:departments"]
    with Watch() as watch:
        invitees = resolve_invitees(items, city)
    assert len(watch.statements) <= 3, watch.statements  # the references, the province, the units
    assert watch.loaded["Unit"] <= 4  # the referenced units and the organiser's province, not the invited
    by_objects = resolve_participants(items, city)
    assert [(u.id, u.ref, u.name) for u in invitees] == [(u.id, u.ref, u.name) for u in by_objects]
    refs = {u.ref for u in invitees}
    assert {"legacy:001", "STTTT", "SNV", "legacy:00040"} <= refs and "legacy:01" not in refs
    assert "legacy:002" not in refs  # "communes:" invites the communes, not the district
    assert len(refs) == 1 + 6 + EXTRA + 2  # a district, every commune, both departments


def test_dissolved_and_unknown_items_are_named_in_their_order(app, wide):
    from datetime import date

    from models.errors import ValidationFailed
    wide["vinh_phuc"].dissolved_on = date(2018, 12, 31)
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        resolve_invitees(["legacy:99999", 7, "subtree:legacy:00006", "communes:legacy:001"], wide["city"])
    words = [str(m.params.get("ref")) for m in caught.value.details["participants"]]
    assert words == ["'legacy:99999'", "7", "legacy:00006"]
    # A dissolved commune is left out of its district's communes.
    assert "legacy:00006" not in {u.ref for u in resolve_invitees(["communes:legacy:001"], wide["city"])}


def test_a_series_booked_through_the_api_costs_no_statement_per_occurrence(client, wide, bridge, organizer,
                                                                         token_for):
    headers = token_for(organizer)

    def series(count: int, day: int):
        body = {"title": "Giao ban", "category": "giao_ban", "organizer": "legacy:01", "mode": "online",
                "start": f"2019-04-{day:02d}T08:00:00+07:00", "end": f"2019-04-{day:02d}T10:00:00+07:00",
                "participants": ["communes:legacy:001"], "bridge": bridge.id,
                "rrule": f"FREQ=WEEKLY;BYDAY=MO;COUNT={count}"}
        db.session.remove()
        with Watch(_served_by(client)) as watch:
            r = client.post("/api/v1/meetings", json=body, headers=headers)
        assert r.status_code == 201, r.get_json()
        assert len(r.get_json()["occurrences"]) == count
        return watch

    short, long = series(2, 1), series(9, 15)  # Mondays: 1 and 8 April, then from 15 April
    assert len(long.statements) <= len(short.statements) + 1, "\n".join(s[:100] for s in long.statements)
