"""Round trip through a real CalDAV server: Radicale on loopback, read back with `caldav`."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from datetime import timedelta

import caldav
import pytest
import recurring_ical_events
from icalendar import Calendar

from models import db
from models.base import utcnow
from models.calendar_feeds import feed_window
from tests.webapp.test_ical import expected, make_series, next_monday, render_unit

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def radicale(tmp_path):
    """A Radicale server on loopback with filesystem storage and no authentication."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{port}",
         "--storage-filesystem-folder", str(tmp_path / "collections"), "--auth-type", "none",
         "--rights-type", "owner_only", "--logging-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("Radicale did not start")
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(timeout=10)


def split_by_uid(data: bytes) -> dict[str, bytes]:
    """One calendar object per UID (a series' master travels with its overrides)."""
    cal = Calendar.from_ical(data)
    objects: dict[str, Calendar] = {}
    for event in cal.walk("VEVENT"):
        uid = str(event["UID"])
        if uid not in objects:
            objects[uid] = Calendar()
            objects[uid].add("version", "2.0")
            objects[uid].add("prodid", str(cal["PRODID"]))
            for tz in cal.walk("VTIMEZONE"):
                objects[uid].add_component(tz)
        objects[uid].add_component(event)
    return {uid: obj.to_ical() for uid, obj in objects.items()}


def essence(event) -> tuple:
    """What a client shows of a VEVENT, compared property by property."""
    def value(name) -> tuple:
        found = event.get(name, [])
        return tuple(sorted(v.to_ical() for v in (found if isinstance(found, list) else [found])))
    return tuple((name, value(name)) for name in (
        "UID", "RECURRENCE-ID", "DTSTART", "DTEND", "DURATION", "RRULE", "EXDATE", "SEQUENCE",
        "STATUS", "SUMMARY", "LOCATION", "DESCRIPTION", "URL", "ORGANIZER", "ATTENDEE"))


def test_unit_events_survive_a_caldav_round_trip(app, hanoi, make_meeting, radicale):
    unit, now = hanoi["phuc_xa"], utcnow().replace(microsecond=0)
    make_meeting(hanoi["ba_dinh"], now + timedelta(days=2), participants=[unit, hanoi["truc_bach"]],
                 title="Họp; giao ban, \"quý\" IV", description="Dòng một\nDòng hai \\ ba",
                 location="Hội trường, tầng 2")
    make_meeting(hanoi["ba_dinh"], now - timedelta(days=3), participants=[unit], status="cancelled",
                 revision=1, title="Đã huỷ")
    _, rows = make_series(make_meeting, hanoi["ba_dinh"], next_monday(), "FREQ=WEEKLY;COUNT=6",
                          participants=[unit])
    rows[1].start_at += timedelta(hours=2)
    rows[1].end_at += timedelta(hours=2)
    rows[3].status = "cancelled"
    db.session.commit()
    data, meetings = render_unit(app, unit)

    client = caldav.DAVClient(url=radicale, username="clerk", password="x",
                              enable_rfc6764=False, require_tls=False)
    calendar = client.principal().make_calendar(name="Phúc Xá")
    sent = split_by_uid(data)
    for body in sent.values():
        calendar.add_event(body.decode("utf-8"), increase_seqno=False)  # keep ours

    back = [Calendar.from_ical(obj.data) for obj in calendar.events()]
    got = sorted(essence(e) for cal in back for e in cal.walk("VEVENT"))
    want = sorted(essence(e) for e in Calendar.from_ical(data).walk("VEVENT"))
    assert got == want
    assert len(back) == len(sent) == 3

    window = feed_window(utcnow(), 90, 365)
    occurrences = sorted(
        (e.decoded("DTSTART").astimezone(now.tzinfo), e.decoded("DTEND").astimezone(now.tzinfo),
         str(e["SUMMARY"]), str(e["STATUS"]))
        for cal in back for e in recurring_ical_events.of(cal).between(*window))
    assert occurrences == expected(meetings)
