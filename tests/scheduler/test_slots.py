"""The slot finder: working hours, busy endpoints, bridge ports."""
from datetime import timedelta

from models import Bridge, db
from scheduler.booking import book_meeting
from scheduler.slots import find_slots, merge, subtract
from tests.booking_data import local, meeting_data

HOUR = timedelta(hours=1)


def fmt(slots):
    return [s.astimezone(local(2019, 1, 1).tzinfo).strftime("%a %d %H:%M") for s, _ in slots]


def test_merge_and_subtract():
    t = lambda h: local(2019, 3, 4, h)  # noqa: E731
    assert merge([(t(8), t(9)), (t(9), t(10)), (t(11), t(12))]) == [(t(8), t(10)), (t(11), t(12))]
    assert subtract([(t(8), t(12))], [(t(9), t(10))]) == [(t(8), t(9)), (t(10), t(12))]
    assert subtract([(t(8), t(12))], [(t(7), t(13))]) == []


def test_earliest_slots_skip_busy_time_lunch_and_weekend(hanoi, equipped, bridge, organizer, now):
    book_meeting(meeting_data(bridge=bridge.id, start=local(2019, 3, 8, 8), end=local(2019, 3, 8, 11, 30)),
                 organizer, now)  # Friday morning: host and Phúc Xá busy
    slots = find_slots([hanoi["city"], hanoi["phuc_xa"]], 2 * HOUR, local(2019, 3, 8, 0),
                       local(2019, 3, 12, 0), bridge, now, limit=5)
    assert fmt(slots) == ["Fri 08 13:00", "Fri 08 13:30", "Fri 08 14:00", "Fri 08 14:30", "Fri 08 15:00"]
    slots = find_slots([hanoi["city"], hanoi["phuc_xa"]], 4 * HOUR, local(2019, 3, 8, 0),
                       local(2019, 3, 12, 0), bridge, now, limit=3)
    assert fmt(slots) == ["Fri 08 13:00", "Mon 11 08:00", "Mon 11 13:00"]
    # Units not in the busy meeting are free on Friday morning.
    slots = find_slots([hanoi["dong_xuan"]], HOUR, local(2019, 3, 8, 0), local(2019, 3, 9, 0), bridge, now,
                       limit=1)
    assert fmt(slots) == ["Fri 08 08:00"]


def test_bridge_ports_are_respected(hanoi, equipped, organizer, now):
    small = Bridge(name="MCU nhỏ", capacity=3)
    db.session.add(small)
    db.session.commit()
    book_meeting(meeting_data(bridge=small.id, start=local(2019, 3, 8, 8), end=local(2019, 3, 8, 12)),
                 organizer, now)  # 2 of 3 ports in use all morning
    slots = find_slots([hanoi["dong_xuan"], hanoi["hang_ma"]], HOUR, local(2019, 3, 8, 0),
                       local(2019, 3, 9, 0), small, now, limit=1)
    assert fmt(slots) == ["Fri 08 13:00"]
    slots = find_slots([hanoi["dong_xuan"]], HOUR, local(2019, 3, 8, 0), local(2019, 3, 9, 0), small, now,
                       limit=1)
    assert fmt(slots) == ["Fri 08 08:00"]
