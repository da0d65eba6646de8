"""PostgreSQL's own guard of the booking invariant, the endpoint holds (migration 0010_series).

The app checks clashes before it writes; these tests switch that check off (`blind`) and show
that PostgreSQL alone still refuses an endpoint in two overlapping active bookings: two series,
a series and a single meeting, and an occurrence moved onto another of its own series (the case
a union of ranges would merge silently). Each refusal is a 409 that names the clash. Without the
holds' exclusion and trigger every one of these bookings would be written.
"""
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

import scheduler.booking
import scheduler.changes
from models import EndpointBooking, Meeting, db
from models.errors import Conflict
from scheduler.booking import book_meeting
from scheduler.changes import cancel_meeting, change_meeting, restore_meeting
from scheduler.clashes import is_clash_refusal
from tests.booking_data import local, meeting_data
from tests.hardening.test_booking_invariant import assert_invariant

#: the holds are PostgreSQL's guard (SQLite serialises writers and checks first)
pytestmark = pytest.mark.postgresql_only


@pytest.fixture
def blind(monkeypatch):
    """The app's clash check finds nothing: only the database can refuse."""
    monkeypatch.setattr(scheduler.booking, "check_plan", lambda plan, exclude=(): [])
    monkeypatch.setattr(scheduler.changes, "check_plan", lambda plan, exclude=(): [])


def series(bridge, day=4, hour=8, count=5, participants=("legacy:00001",), title="Giao ban tuần"):
    return meeting_data(bridge=bridge.id, participants=list(participants), title=title,
                        start=local(2019, 3, day, hour), end=local(2019, 3, day, hour + 2),
                        rrule=f"FREQ=WEEKLY;COUNT={count}")


def single(bridge, day, hour, participants=("legacy:00004",), title="Họp đột xuất"):
    return meeting_data(bridge=bridge.id, participants=list(participants), title=title,
                        start=local(2019, 3, day, hour), end=local(2019, 3, day, hour + 1))


def holds_match_bookings() -> None:
    """The holds are exactly the union of each holder's active bookings, per endpoint."""
    db.session.commit()
    stale = db.session.execute(text("""
        WITH truth AS (
            SELECT coalesce(m.series_id, -m.id) AS holder, b.endpoint_id,
                   range_agg(tstzrange(b.start_at, b.end_at, '[)')) AS during
              FROM endpoint_bookings b JOIN meetings m ON m.id = b.meeting_id
             WHERE b.active GROUP BY 1, 2)
        SELECT t.holder, t.endpoint_id, t.during::text, h.holder, h.endpoint_id, h.during::text
          FROM truth t FULL JOIN endpoint_holds h USING (holder, endpoint_id)
         WHERE t.during IS DISTINCT FROM h.during""")).all()
    assert stale == []


def test_two_series_overlapping(equipped, bridge, organizer, now, blind):
    first = book_meeting(series(bridge), organizer, now).meetings
    with pytest.raises(Conflict) as refused:   # its first three occurrences meet the first's last three
        book_meeting(series(bridge, day=18, hour=9, title="Sơ kết"), organizer, now)
    named = {c["meeting_id"] for c in refused.value.details["conflicts"]}
    assert named and named <= {m.id for m in first}
    assert db.session.scalar(select(Meeting.id).where(Meeting.title == "Sơ kết")) is None
    assert_invariant()
    holds_match_bookings()


@pytest.mark.parametrize("series_first", [True, False], ids=["series-then-single", "single-then-series"])
def test_a_series_and_a_single_meeting(equipped, bridge, organizer, now, blind, series_first):
    meeting = single(bridge, 11, 9, participants=("legacy:00001",))
    if series_first:
        winner = book_meeting(series(bridge), organizer, now).meetings[1]
        loser = meeting
    else:
        winner = book_meeting(meeting, organizer, now).meetings[0]
        loser = series(bridge)
    with pytest.raises(Conflict) as refused:
        book_meeting(loser, organizer, now)
    assert winner.id in {c["meeting_id"] for c in refused.value.details["conflicts"]}
    assert_invariant()
    holds_match_bookings()


def test_an_occurrence_moved_onto_another_of_its_series(equipped, bridge, organizer, now, blind):
    meetings = book_meeting(series(bridge, count=6), organizer, now).meetings
    second, third = meetings[1], meetings[2]
    with pytest.raises(Conflict) as refused:   # a week earlier, half an hour later: onto the second
        change_meeting(third, {"start": second.start_at + timedelta(minutes=30),
                               "end": second.end_at + timedelta(minutes=30)}, organizer, now)
    assert second.id in {c["meeting_id"] for c in refused.value.details["conflicts"]}
    db.session.refresh(third)
    assert third.start_at == meetings[1].start_at + timedelta(days=7)
    assert_invariant()
    holds_match_bookings()


def test_the_refusal_is_the_holds_constraint(equipped, bridge, organizer, now):
    """Straight SQL, no app at all: a second booking of an endpoint over a series' occurrence."""
    first = book_meeting(series(bridge), organizer, now).meetings
    other = book_meeting(single(bridge, 6, 14), organizer, now).meetings[0]
    booking = db.session.scalars(select(EndpointBooking).where(
        EndpointBooking.meeting_id == first[0].id)).first()
    for meeting_id in (other.id, first[1].id):   # another holder; the same series
        with pytest.raises(IntegrityError) as refused:
            with db.session.begin_nested():
                db.session.add(EndpointBooking(meeting_id=meeting_id, endpoint_id=booking.endpoint_id,
                                               unit_id=booking.unit_id, start_at=booking.start_at,
                                               end_at=booking.end_at + timedelta(minutes=-30)))
                db.session.flush()
        assert is_clash_refusal(refused.value), refused.value
    db.session.rollback()
    holds_match_bookings()


def test_holds_follow_moves_splits_cancels_and_undo(equipped, bridge, organizer, now):
    meetings = book_meeting(series(bridge, count=6, participants=("legacy:00001", "legacy:00037")),
                            organizer, now).meetings
    book_meeting(single(bridge, 5, 8), organizer, now)
    holds_match_bookings()
    change_meeting(meetings[1], {"start": local(2019, 3, 12, 14), "end": local(2019, 3, 12, 16)},
                   organizer, now)                                       # one occurrence moves
    holds_match_bookings()
    change_meeting(meetings[3], {"start": meetings[3].start_at + timedelta(hours=1),
                                 "end": meetings[3].end_at + timedelta(hours=1)},
                   organizer, now, scope="following")                    # the series splits
    holds_match_bookings()
    assert len({m.series_id for m in db.session.scalars(select(Meeting).where(
        Meeting.title == "Giao ban tuần"))}) == 2
    cancel_meeting(meetings[4], organizer, now, scope="this")
    holds_match_bookings()
    restore_meeting(meetings[4], organizer, now)
    holds_match_bookings()
    change_meeting(meetings[0], {"participants": ["legacy:00004"]}, organizer, now, scope="all")
    holds_match_bookings()
    assert_invariant()


def test_a_split_moves_the_holds_even_with_the_bookings_untouched(equipped, bridge, organizer, now):
    """meetings.series_id is part of a hold's key: changing it alone moves the ranges over."""
    meetings = book_meeting(series(bridge, count=4), organizer, now).meetings
    other = book_meeting(series(bridge, day=5, count=2, title="Khác"), organizer, now).meetings
    db.session.execute(text("UPDATE meetings SET series_id = :s WHERE id = :m"),
                       {"s": other[0].series_id, "m": meetings[3].id})
    holds_match_bookings()


def test_two_writers_of_one_series_cannot_both_slip_in(equipped, bridge, organizer, now):
    """The same holder from two transactions at once: the second waits for the first (advisory
    lock), then reads its hold and refuses the overlap, rather than overwrite it."""
    import threading

    from sqlalchemy import create_engine

    meetings = book_meeting(series(bridge, count=2), organizer, now).meetings
    booking = db.session.scalars(select(EndpointBooking).where(
        EndpointBooking.meeting_id == meetings[0].id)).first()
    start, end, first_id, second_id = booking.start_at, booking.end_at, meetings[0].id, meetings[1].id
    values = {"e": booking.endpoint_id, "u": booking.unit_id}
    db.session.commit()
    engine = create_engine(db.engine.url)
    insert = text("INSERT INTO endpoint_bookings (meeting_id, endpoint_id, unit_id, start_at, end_at, active) "
                  "VALUES (:m, :e, :u, :s, :t, true)")
    week = timedelta(days=14)   # both land two weeks after the series, overlapping each other
    outcome = {}
    try:
        with engine.connect() as first:
            first.execute(insert, values | {"m": first_id, "s": start + week, "t": end + week})

            def second():
                with engine.connect() as conn:
                    try:
                        conn.execute(insert, values | {"m": second_id, "s": start + week + timedelta(hours=1),
                                                       "t": end + week + timedelta(hours=1)})
                        conn.commit()
                        outcome["second"] = "written"
                    except IntegrityError as exc:
                        outcome["second"] = "refused" if is_clash_refusal(exc) else repr(exc)
            thread = threading.Thread(target=second)
            thread.start()
            thread.join(timeout=2)
            assert thread.is_alive(), outcome   # it waits for the first writer of the series
            first.commit()
        thread.join(timeout=30)
        assert outcome == {"second": "refused"}
    finally:
        engine.dispose()
    holds_match_bookings()


def _copies_of(meeting_id: int, count: int, step_hours: int = 3) -> tuple[str, dict]:
    """SQL: `count` single meetings like this one, each booking the endpoint of its first
    booking `step_hours` after the previous (no two overlap), in one statement each."""
    columns = [c.name for c in Meeting.__table__.columns if c.name not in ("id", "uid", "series_id",
                                                                           "recurrence_id")]
    names = ", ".join(columns)
    return (f"INSERT INTO meetings (uid, {names}) SELECT uid || '-copy-' || g, {names} "
            f"FROM meetings, generate_series(1, :n) g WHERE id = :m", {"m": meeting_id, "n": count})


def test_a_statement_touching_thousands_of_holders_takes_one_lock(equipped, bridge, organizer, now):
    """0011_hold_locks: bookings of 7,000 single meetings in one statement (the 10x demo, a
    reorganisation) need 7,000 holders' locks, past PostgreSQL's shared lock table (64 per
    connection): "out of shared memory" before; one exclusive lock now. The holds still match."""
    (first,) = book_meeting(single(bridge, 4, 8), organizer, now).meetings
    booking = db.session.scalars(select(EndpointBooking).where(EndpointBooking.meeting_id == first.id)).first()
    db.session.commit()
    sql, params = _copies_of(first.id, 7000)
    db.session.execute(text(sql), params)
    db.session.execute(text(
        "INSERT INTO endpoint_bookings (meeting_id, endpoint_id, unit_id, start_at, end_at, active) "
        "SELECT m.id, :e, :u, :s + (row_number() OVER (ORDER BY m.id)) * interval '3 hours', "
        "       :t + (row_number() OVER (ORDER BY m.id)) * interval '3 hours', true "
        "FROM meetings m WHERE m.uid LIKE :like"),
        {"e": booking.endpoint_id, "u": booking.unit_id, "s": booking.start_at, "t": booking.end_at,
         "like": f"{first.uid}-copy-%"})
    locks = db.session.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                   "AND pid = pg_backend_pid()"))
    assert locks == 1
    holds_match_bookings()
    assert db.session.scalar(text("SELECT count(*) FROM endpoint_holds")) >= 7001


def test_a_bulk_writer_of_holds_shuts_out_the_others_until_it_commits(equipped, bridge, organizer, now):
    """The bulk path's one lock still serialises: a single booking waits for it, then reads the
    holds it committed and refuses to overlap them."""
    import threading

    from sqlalchemy import create_engine

    (first,) = book_meeting(single(bridge, 4, 8), organizer, now).meetings
    booking = db.session.scalars(select(EndpointBooking).where(EndpointBooking.meeting_id == first.id)).first()
    (other,) = book_meeting(single(bridge, 5, 8, participants=("legacy:00006",)), organizer, now).meetings
    values = {"e": booking.endpoint_id, "u": booking.unit_id}
    start, end, first_id, first_uid, other_id = booking.start_at, booking.end_at, first.id, first.uid, other.id
    db.session.commit()
    engine = create_engine(db.engine.url)
    outcome = {}
    try:
        with engine.connect() as bulk:
            sql, params = _copies_of(first_id, 100)
            bulk.execute(text(sql), params)
            bulk.execute(text(   # 100 holders: the bulk path; the first copy lands eight days later
                "INSERT INTO endpoint_bookings (meeting_id, endpoint_id, unit_id, start_at, end_at, active) "
                "SELECT m.id, :e, :u, :s + (7 + row_number() OVER (ORDER BY m.id)) * interval '1 day', "
                "       :t + (7 + row_number() OVER (ORDER BY m.id)) * interval '1 day', true "
                "FROM meetings m WHERE m.uid LIKE :like"),
                values | {"s": start, "t": end, "like": f"{first_uid}-copy-%"})

            def single_writer():
                with engine.connect() as conn:
                    try:   # the other meeting onto the first copy's slot
                        conn.execute(text(
                            "INSERT INTO endpoint_bookings (meeting_id, endpoint_id, unit_id, start_at, "
                            "end_at, active) VALUES (:m, :e, :u, :s, :t, true)"),
                            values | {"m": other_id, "s": start + timedelta(days=8, minutes=30),
                                      "t": end + timedelta(days=8, minutes=30)})
                        conn.commit()
                        outcome["single"] = "written"
                    except IntegrityError as exc:
                        outcome["single"] = "refused" if is_clash_refusal(exc) else repr(exc)
            thread = threading.Thread(target=single_writer)
            thread.start()
            thread.join(timeout=2)
            assert thread.is_alive(), outcome   # it waits for the bulk writer
            bulk.commit()
        thread.join(timeout=30)
        assert outcome == {"single": "refused"}
    finally:
        engine.dispose()
    holds_match_bookings()
