"""Booking: half-open intervals, clashes named, bridge peak by sweep, warnings, bad input."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import Bridge, EndpointBooking, Invitation, Meeting, db
from models.errors import Conflict, Forbidden, ValidationFailed
from scheduler.booking import book_meeting, preview_booking
from scheduler.clashes import peak_ports
from tests.booking_data import local, meeting_data


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_book_online_meeting_books_host_and_participants(equipped, bridge, organizer, now):
    booking = book_meeting(meeting_data(bridge=bridge.id, participants=["communes:legacy:001"]),
                           organizer, now)
    m = booking.meetings[0]
    assert m.status == "scheduled" and m.revision == 0 and m.ports == 4
    assert sorted(i.unit.ref for i in m.invitations) == ["legacy:00001", "legacy:00004", "legacy:00006"]
    booked_units = set(db.session.scalars(select(EndpointBooking.unit_id)))
    assert booked_units == {equipped[k].unit_id for k in ("city", "phuc_xa", "truc_bach", "vinh_phuc")}
    assert booking.warnings == {"not_ready": []}


def test_back_to_back_both_book_and_one_minute_overlap_clashes(equipped, bridge, organizer, now):
    book_meeting(meeting_data(bridge=bridge.id), organizer, now)
    after = book_meeting(meeting_data(bridge=bridge.id, start=local(2019, 3, 4, 10, 0),
                                      end=local(2019, 3, 4, 11, 0), title="Tiếp theo"), organizer, now)
    assert after.meetings[0].id
    with pytest.raises(Conflict) as exc:
        book_meeting(meeting_data(bridge=bridge.id, start=local(2019, 3, 4, 10, 59),
                                  end=local(2019, 3, 4, 12, 0), title="Chồng 1 phút"), organizer, now)
    conflicts = exc.value.details["conflicts"]
    assert {c["title"] for c in conflicts} == {"Tiếp theo"}
    assert set(conflicts[0]["units"]) == {"legacy:01", "legacy:00001"}
    assert count(Meeting) == 2


def test_in_person_meetings_book_nothing(equipped, organizer, now):
    for _ in range(2):  # the same slot twice: in person, nothing is held
        book_meeting(meeting_data(mode="in_person", participants=[]), organizer, now)
    assert count(EndpointBooking) == 0 and count(Meeting) == 2


def test_bridge_peak_not_sum(hanoi, equipped, organizer, now):
    """Three sessions overlapping pairwise but never all at once fit 2x ports, not 3x."""
    small = Bridge(name="MCU nhỏ", capacity=4)
    db.session.add(small)
    db.session.commit()
    # Each session: host (city) is not in it; organizers differ so endpoints never clash.
    org_users = {}
    from models import User
    for key in ("ba_dinh", "hoan_kiem", "stttt"):
        u = User(email=f"{key}@x.vn", role="organizer", unit=hanoi[key])
        u.set_password("x")
        db.session.add(u)
        org_users[key] = u
    db.session.commit()
    # A 08-10 (2 ports), B 09:30-11 (2 ports), C 10-12 (2 ports): peak 4, sum of all 6.
    book_meeting(meeting_data(organizer="legacy:001", participants=["legacy:00001"], bridge=small.id,
                              start=local(2019, 3, 4, 8), end=local(2019, 3, 4, 10)), org_users["ba_dinh"], now)
    book_meeting(meeting_data(organizer="legacy:002", participants=["legacy:00037"], bridge=small.id,
                              start=local(2019, 3, 4, 9, 30), end=local(2019, 3, 4, 11)), org_users["hoan_kiem"], now)
    book_meeting(meeting_data(organizer="STTTT", participants=["legacy:00004"], bridge=small.id,
                              start=local(2019, 3, 4, 10), end=local(2019, 3, 4, 12)), org_users["stttt"], now)
    assert count(Meeting) == 3
    with pytest.raises(Conflict) as exc:  # a fourth over 09:45-10:15 would make 6 > 4
        book_meeting(meeting_data(organizer="legacy:01", participants=["legacy:00006"], bridge=small.id,
                                  start=local(2019, 3, 4, 9, 45), end=local(2019, 3, 4, 10, 15)),
                     organizer, now)
    assert {c["reason"] for c in exc.value.details["conflicts"]} == {"bridge_capacity"}


@pytest.mark.parametrize("sessions, window, peak", [
    ([], (0, 10), 0),
    ([(0, 5, 2), (5, 10, 2)], (0, 10), 2),          # back to back
    ([(0, 6, 2), (4, 10, 2)], (0, 10), 4),
    ([(0, 6, 2), (4, 10, 2)], (6, 10), 2),          # clipped to the window
    ([(0, 4, 1), (2, 8, 1), (6, 10, 1)], (0, 10), 2),
    ([(0, 10, 3), (1, 2, 1), (3, 4, 1)], (0, 10), 4),
])
def test_peak_ports_sweep(sessions, window, peak):
    from datetime import UTC, datetime
    t = lambda h: datetime(2019, 1, 1, tzinfo=UTC) + timedelta(hours=h)  # noqa: E731
    assert peak_ports([(t(a), t(b), p) for a, b, p in sessions], (t(window[0]), t(window[1]))) == peak


def test_not_ready_participants_warn_and_strict_refuses(hanoi, equipped, bridge, organizer, now):
    equipped["truc_bach"].status = "faulty"
    db.session.delete(equipped["vinh_phuc"])
    db.session.commit()
    booking = book_meeting(meeting_data(bridge=bridge.id, participants=["communes:legacy:001"]),
                           organizer, now)
    assert booking.warnings == {"not_ready": ["legacy:00004", "legacy:00006"]}
    assert booking.meetings[0].ports == 2  # host and Phúc Xá only
    with pytest.raises(ValidationFailed) as exc:
        book_meeting(meeting_data(bridge=bridge.id, participants=["communes:legacy:001"], strict=True,
                                  start=local(2019, 3, 5, 8)  , end=local(2019, 3, 5, 9)), organizer, now)
    assert "participants" in exc.value.details
    assert count(Meeting) == 1


def test_participant_selectors(hanoi, equipped, bridge, organizer, now):
    booking = book_meeting(meeting_data(bridge=bridge.id, participants=["all:districts_and_communes"]),
                           organizer, now)
    assert len(booking.meetings[0].invitations) == 8
    booking = book_meeting(meeting_data(bridge=bridge.id, participants=["all:departments", "legacy:00040"],
                                        start=local(2019, 3, 6, 8), end=local(2019, 3, 6, 9)), organizer, now)
    assert sorted(i.unit.ref for i in booking.meetings[0].invitations) == ["SNV", "STTTT", "legacy:00040"]
    booking = book_meeting(meeting_data(bridge=bridge.id, participants=["subtree:legacy:002"],
                                        start=local(2019, 3, 7, 8), end=local(2019, 3, 7, 9)), organizer, now)
    assert len(booking.meetings[0].invitations) == 4


def test_time_zone_input_and_month_end(equipped, bridge, organizer, now):
    from datetime import UTC, datetime
    booking = book_meeting(meeting_data(bridge=bridge.id, start=local(2019, 1, 31, 23, 30),
                                        end=local(2019, 2, 1, 0, 30)), organizer, now)
    m = booking.meetings[0]
    assert m.start_at == datetime(2019, 1, 31, 16, 30, tzinfo=UTC)
    booking = book_meeting(meeting_data(bridge=bridge.id, start=datetime(2019, 2, 1, 3, 0, tzinfo=UTC),
                                        end=datetime(2019, 2, 1, 4, 0, tzinfo=UTC)), organizer, now)
    assert booking.meetings[0].start_at.astimezone(local(2019, 1, 1).tzinfo).hour == 10


@pytest.mark.parametrize("overrides, field", [
    ({"end": local(2019, 3, 4, 7, 0)}, "end"),
    ({"end": local(2019, 3, 4, 8, 0)}, "end"),
    ({"category": "party"}, "category"),
    ({"mode": "telepathy"}, "mode"),
    ({"organizer": "legacy:99999"}, "organizer"),
    ({"participants": ["legacy:99999"]}, "participants"),
    ({"participants": []}, "participants"),
    ({"bridge": 4242}, "bridge"),
    ({"title": ""}, "title"),
    ({"title": "x" * 301}, "title"),
    ({"rrule": "FREQ=HOURLY;COUNT=3"}, "rrule"),
    ({"rrule": "FREQ=WEEKLY"}, "rrule"),
    ({"rrule": "nonsense"}, "rrule"),
    ({"start": local(2018, 12, 1, 8), "end": local(2018, 12, 1, 9)}, "start"),
])
def test_bad_input_is_refused_with_the_field(equipped, bridge, organizer, now, overrides, field):
    data = meeting_data(bridge=bridge.id)
    data.update(overrides)
    with pytest.raises(ValidationFailed) as exc:
        book_meeting(data, organizer, now)
    assert field in exc.value.details
    assert count(Meeting) == 0 and count(Invitation) == 0 and count(EndpointBooking) == 0


def test_organizer_outside_scope_is_forbidden(hanoi, equipped, bridge, make_user, now):
    district_org = make_user("organizer", hanoi["ba_dinh"])
    book_meeting(meeting_data(organizer="legacy:001", bridge=bridge.id), district_org, now)
    for ref in ("legacy:002", "legacy:01", "STTTT"):
        with pytest.raises(Forbidden):
            book_meeting(meeting_data(organizer=ref, bridge=bridge.id,
                                      start=local(2019, 3, 8, 8), end=local(2019, 3, 8, 9)), district_org, now)
    clerk = make_user("clerk", hanoi["phuc_xa"])
    with pytest.raises(Forbidden):
        book_meeting(meeting_data(organizer="legacy:00001", participants=["legacy:00004"],
                                  bridge=bridge.id), clerk, now)


def test_preview_shows_clashes_without_writing(equipped, bridge, organizer, now):
    book_meeting(meeting_data(bridge=bridge.id), organizer, now)
    preview = preview_booking(meeting_data(bridge=bridge.id, title="Trùng"), organizer, now)
    assert preview["conflicts"] and preview["warnings"] == {"not_ready": []}
    assert count(Meeting) == 1


def test_record_past_meeting_with_outcome(equipped, bridge, organizer, now):
    data = meeting_data(start=local(2018, 12, 3, 8), end=local(2018, 12, 3, 10), bridge=None,
                        outcome={"status": "held", "mode": "online", "connected": ["legacy:00001"]})
    m = book_meeting(data, organizer, now).meetings[0]
    assert (m.status, m.outcome_mode, m.recorded_after, m.ports) == ("held", "online", True, 0)
    assert [i.connected for i in m.invitations] == [True]
    assert count(EndpointBooking) == 0
    with pytest.raises(ValidationFailed) as exc:  # one that has not ended yet
        book_meeting(meeting_data(outcome={"status": "held", "mode": "online"}), organizer, now)
    assert "outcome" in exc.value.details
