"""The iCalendar serialiser: three independent readers agree with the database."""
from __future__ import annotations

import logging
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import recurring_ical_events
from dateutil.rrule import rrulestr
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

from models import Endpoint, Series, db
from models.base import LOCAL, utcnow
from models.calendar_feeds import (
    FeedScope,
    dial_addresses,
    feed_meetings_query,
    feed_versions,
    feed_window,
    forget_invitations,
    load_feed_meetings,
)
from models.text import one_line
from scheduler import ical

BASE = "https://giaoban.example.vn"
HOSTILE = ('Họp "giao ban", quý; IV \\ Đồng Xuân\r\nATTENDEE:mailto:evil@example.com\n'
           "Dòng hai, có dấu: ỡ ữ ặ ẫ — và 'nháy đơn' " + "Nghị quyết số 01/NQ-HĐND " * 4)


def next_monday(hour: int = 8, weeks: int = 1) -> datetime:
    """A local naive Monday at `hour`, some weeks ahead."""
    today = utcnow().astimezone(LOCAL).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    return today.replace(hour=hour) + timedelta(days=7 * weeks - today.weekday())


def make_series(make_meeting, organizer, first_local: datetime, rule: str, participants=(),
                minutes: int = 90, title: str = "Giao ban tuần") -> tuple[Series, list]:
    """A Series row and one Meeting row per occurrence, expanded with dateutil in local time."""
    series = Series(uid=f"{uuid.uuid4()}@giaoban", rrule=rule, dtstart_local=first_local,
                    duration_minutes=minutes, revision=0)
    db.session.add(series)
    rows = []
    for local in rrulestr(rule, dtstart=first_local):
        start = local.replace(tzinfo=LOCAL).astimezone(UTC)
        rows.append(make_meeting(organizer, start, hours=minutes / 60, participants=participants,
                                 title=title, series=series, recurrence_id=start))
    return series, rows


def context(**options) -> ical.Context:
    """What the web layer passes: an organiser address and the dial-in loader."""
    return ical.make_context(BASE, "giaoban@example.vn", load_dial=dial_addresses, **options)


def render_unit(app, unit) -> tuple[bytes, list]:
    query = feed_meetings_query({unit.id}, utcnow(), app.config["FEED_PAST_DAYS"],
                               app.config["FEED_FUTURE_DAYS"])
    meetings = load_feed_meetings(query)
    ctx = context(scope=frozenset({unit.id}))
    return ical.calendar_bytes(meetings, ctx, name=unit.name, uid=f"unit-{unit.ref}"), meetings


def expected(meetings) -> list[tuple]:
    """What the database says a reader must see: cancelled series occurrences are gone."""
    out = []
    for m in meetings:
        if m.series_id is not None and m.status == "cancelled":
            continue
        out.append((m.start_at.astimezone(UTC), m.end_at.astimezone(UTC), m.title,
                    "CANCELLED" if m.status == "cancelled" else "CONFIRMED"))
    return sorted(out)


def _utc(value) -> datetime:
    return value.astimezone(UTC)


def read_with_icalendar(data: bytes) -> list[tuple]:
    """icalendar parses; the expansion is written here with dateutil, apart from the others."""
    cal = Calendar.from_ical(data)
    events = cal.walk("VEVENT")
    overrides = {(str(e["UID"]), _utc(e.decoded("RECURRENCE-ID"))): e
                 for e in events if "RECURRENCE-ID" in e}
    out = []
    for e in events:
        start = e.decoded("DTSTART")
        length = e.decoded("DURATION") if "DURATION" in e else e.decoded("DTEND") - start
        def row(s, ev=e, n=length):
            return _utc(s), _utc(s + n), str(ev["SUMMARY"]), str(ev["STATUS"])
        if "RECURRENCE-ID" in e:
            out.append((_utc(start), _utc(e.decoded("DTEND")), str(e["SUMMARY"]), str(e["STATUS"])))
        elif "RRULE" in e:
            exdates = {_utc(d.dt) for x in ([e["EXDATE"]] if "EXDATE" in e and not
                                            isinstance(e["EXDATE"], list) else e.get("EXDATE", []))
                       for d in x.dts}
            rule = rrulestr(e["RRULE"].to_ical().decode(), dtstart=start)
            for s in rule:
                if _utc(s) not in exdates and (str(e["UID"]), _utc(s)) not in overrides:
                    out.append(row(s))
        else:
            out.append(row(start))
    return sorted(out)


def read_with_recurring(data: bytes, window) -> list[tuple]:
    cal = Calendar.from_ical(data)
    return sorted((_utc(e.decoded("DTSTART")), _utc(e.decoded("DTEND")), str(e["SUMMARY"]),
                   str(e["STATUS"])) for e in recurring_ical_events.of(cal).between(*window))


def read_with_ical(data: bytes, window) -> list[tuple]:
    """The `ical` package, strict (no compatibility mode)."""
    cal = IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))
    return sorted((_utc(e.start), _utc(e.end), e.summary, str(e.status.value))
                  for e in cal.timeline_tz(LOCAL).overlapping(*window))


@pytest.fixture
def year(hanoi, make_meeting):
    """Phúc Xá's meetings: singles, a held one, cancelled ones, and a series with changes."""
    phuc_xa, ba_dinh, now = hanoi["phuc_xa"], hanoi["ba_dinh"], utcnow().replace(microsecond=0)
    make_meeting(ba_dinh, now + timedelta(days=3), participants=[phuc_xa], title="Triển khai")
    make_meeting(phuc_xa, now + timedelta(days=40), participants=[hanoi["truc_bach"]],
                 title="Phường tự tổ chức", mode="in_person", location="Hội trường UBND")
    make_meeting(ba_dinh, now - timedelta(days=20), participants=[phuc_xa], status="held",
                 outcome_mode="online", title="Đã họp")
    make_meeting(ba_dinh, now - timedelta(days=10), participants=[phuc_xa], status="cancelled",
                 title="Huỷ gần đây", revision=1)
    old = make_meeting(ba_dinh, now - timedelta(days=45), participants=[phuc_xa],
                       status="cancelled", title="Huỷ đã lâu", revision=1)
    elsewhere = make_meeting(hanoi["hoan_kiem"], now + timedelta(days=5),
                             participants=[hanoi["hang_ma"]], title="Không liên quan")
    series, rows = make_series(make_meeting, ba_dinh, next_monday(), "FREQ=WEEKLY;BYDAY=MO;COUNT=8",
                               participants=[phuc_xa, hanoi["truc_bach"]])
    rows[2].start_at += timedelta(days=1, hours=2)  # moved to Tuesday
    rows[2].end_at += timedelta(days=1, hours=2)
    rows[2].revision = 1
    rows[4].status, rows[4].revision = "cancelled", 1  # cancelled alone
    rows[5].title, rows[5].revision = "Giao ban mở rộng", 1
    for row in rows:  # Phúc Xá answered for the whole series
        row.invitations[0].response = "confirmed"
    db.session.commit()
    return {"unit": phuc_xa, "series": series, "rows": rows, "absent": {old.id, elsewhere.id}}


def test_three_readers_expand_the_database_one_for_one(app, year):
    data, meetings = render_unit(app, year["unit"])
    assert not year["absent"] & {m.id for m in meetings}
    window = feed_window(utcnow(), app.config["FEED_PAST_DAYS"], app.config["FEED_FUTURE_DAYS"])
    want = expected(meetings)
    assert len(want) == 4 + 7  # four singles, eight occurrences less the cancelled one
    assert read_with_icalendar(data) == want
    assert read_with_recurring(data, window) == want
    assert read_with_ical(data, window) == want


def test_series_is_one_master_with_exdate_and_overrides(app, year):
    data, _ = render_unit(app, year["unit"])
    cal = Calendar.from_ical(data)
    series, rows = year["series"], year["rows"]
    mine = [e for e in cal.walk("VEVENT") if str(e["UID"]) == series.uid]
    masters = [e for e in mine if "RRULE" in e]
    overrides = {_utc(e.decoded("RECURRENCE-ID")) for e in mine if "RECURRENCE-ID" in e}
    assert len(masters) == 1
    master = masters[0]
    assert master["DTSTART"].params["TZID"] == "Asia/Ho_Chi_Minh"
    assert master["EXDATE"].params["TZID"] == "Asia/Ho_Chi_Minh"
    assert {_utc(d.dt) for d in master["EXDATE"].dts} == {rows[4].recurrence_id}
    assert overrides == {rows[2].recurrence_id, rows[5].recurrence_id}  # moved, retitled
    assert rows[4].recurrence_id not in overrides  # cancelled: EXDATE only, never both
    assert master["SEQUENCE"] == 1 and str(master["SUMMARY"]) == "Giao ban tuần"
    assert {e["SEQUENCE"] for e in mine} == {1}


def test_override_the_rule_does_not_generate_is_left_out(app, hanoi, make_meeting, caplog,
                                                         monkeypatch):
    # alembic's fileConfig (run by the migrating fixture) disables loggers that already exist
    monkeypatch.setattr(logging.getLogger("giaoban.ical"), "disabled", False)
    series, rows = make_series(make_meeting, hanoi["ba_dinh"], next_monday(), "FREQ=WEEKLY;COUNT=3",
                               participants=[hanoi["phuc_xa"]])
    rows[1].recurrence_id += timedelta(hours=1)  # not an instant the rule makes
    rows[1].start_at += timedelta(hours=3)
    db.session.commit()
    with caplog.at_level(logging.WARNING, logger="giaoban.ical"):
        data, _ = render_unit(app, hanoi["phuc_xa"])
    assert "not generated" in caplog.text
    assert b"RECURRENCE-ID" not in data
    assert len(read_with_icalendar(data)) == 3  # the rule's three; the stray row is not shown


def test_reschedule_keeps_uid_and_raises_sequence(app, hanoi, make_meeting):
    meeting = make_meeting(hanoi["ba_dinh"], utcnow().replace(microsecond=0) + timedelta(days=2),
                           participants=[hanoi["phuc_xa"]])

    def vevent():
        return Calendar.from_ical(render_unit(app, hanoi["phuc_xa"])[0]).walk("VEVENT")[0]

    before = vevent()
    meeting.start_at += timedelta(hours=3)
    meeting.end_at += timedelta(hours=3)
    meeting.revision += 1
    meeting.updated_at = utcnow()
    db.session.commit()
    after = vevent()
    assert str(after["UID"]) == str(before["UID"]) == meeting.uid
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert _utc(after.decoded("DTSTART")) == meeting.start_at
    meeting.status, meeting.revision = "cancelled", meeting.revision + 1
    db.session.commit()
    cancelled = vevent()
    assert str(cancelled["STATUS"]) == "CANCELLED" and cancelled["SEQUENCE"] > after["SEQUENCE"]


@pytest.mark.parametrize("field", ["title", "location", "description"])
def test_hostile_text_round_trips(app, hanoi, make_meeting, field):
    meeting = make_meeting(hanoi["ba_dinh"], utcnow() + timedelta(days=1),
                           participants=[hanoi["phuc_xa"], hanoi["truc_bach"]], mode="in_person",
                           **{field: HOSTILE})
    data, _ = render_unit(app, hanoi["ba_dinh"])  # the organiser's feed: every ATTENDEE
    want = HOSTILE.replace("\r\n", "\n")  # iCalendar TEXT has one kind of line break
    if field != "description":  # single-line fields are stored as one line (models.text.one_line)
        want = one_line(HOSTILE)
    prop = {"title": "SUMMARY", "location": "LOCATION", "description": "DESCRIPTION"}[field]
    event = Calendar.from_ical(data).walk("VEVENT")[0]
    assert str(event[prop]) == want
    parsed = IcsCalendarStream.calendar_from_ics(data.decode("utf-8")).events[0]
    assert {"title": parsed.summary, "location": parsed.location,
            "description": parsed.description}[field] == want
    assert len(event.get("ATTENDEE")) == len(meeting.invitations) == 2
    assert not re.search(rb"\r\nATTENDEE:mailto", data)
    for line in data.split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")  # a fold never splits a character


def test_calendar_header_avoids_the_known_traps(app, year):
    first, _ = render_unit(app, year["unit"])
    second, _ = render_unit(app, year["unit"])
    assert first == second  # no random VCALENDAR UID, no clock in the bytes
    query = feed_meetings_query({year["unit"].id}, utcnow(), 90, 365)
    ctx = context()
    data = ical.calendar_bytes(load_feed_meetings(query), ctx, name="Ba Đình, tuần; 1\\2",
                               uid="u-1", description="Lịch, họp")
    text = data.decode()
    assert "\r\nX-WR-CALNAME:Ba Đình\\, tuần\\; 1\\\\2\r\n" in text
    assert "\r\nNAME:Ba Đình\\, tuần\\; 1\\\\2\r\n" in text
    assert "\r\nX-WR-CALDESC:Lịch\\, họp\r\n" in text
    assert "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in text
    assert "\r\nX-PUBLISHED-TTL:PT1H\r\n" in text
    assert "\r\nUID:u-1\r\n" in text and "METHOD:PUBLISH" in text
    assert "X-WR-TIMEZONE" not in text
    assert text.count("BEGIN:VTIMEZONE") == 1 and text.count("BEGIN:STANDARD") == 1
    assert "BEGIN:DAYLIGHT" not in text and "TZOFFSETTO:+0700" in text
    for line in text.split("\r\n"):
        if re.match(r"(DTSTART|DTEND|RECURRENCE-ID|EXDATE)[;:]", line) and "BEGIN:STANDARD" not in line:
            assert ";TZID=Asia/Ho_Chi_Minh:" in line or line.startswith("DTSTART:1976"), line
        if re.match(r"(DTSTAMP|LAST-MODIFIED|CREATED):", line):
            assert line.endswith("Z"), line


def test_people_status_and_dial_in(app, hanoi, make_meeting):
    from models import Bridge
    bridge = Bridge(name="MCU Thành phố", capacity=40)
    db.session.add_all([bridge,
                        Endpoint(unit=hanoi["ba_dinh"], name="Phòng họp", kind="room_system",
                                 address="sip:badinh@vc.hanoi.gov.vn", status="ready"),
                        Endpoint(unit=hanoi["ba_dinh"], name="Cũ", kind="room_system",
                                 address="sip:old@vc.hanoi.gov.vn", status="retired")])
    meeting = make_meeting(hanoi["ba_dinh"], utcnow() + timedelta(days=1), mode="hybrid",
                           participants=[hanoi["phuc_xa"], hanoi["truc_bach"], hanoi["vinh_phuc"]],
                           bridge=bridge, description="Chuẩn bị báo cáo.")
    meeting.invitations[0].response = "confirmed"
    meeting.invitations[1].response = "declined"
    db.session.commit()
    # the organiser's feed carries every invited unit (SPEC), each with its PARTSTAT
    event = Calendar.from_ical(render_unit(app, hanoi["ba_dinh"])[0]).walk("VEVENT")[0]
    assert str(event["ORGANIZER"]) == "mailto:giaoban@example.vn"
    assert event["ORGANIZER"].params["CN"] == "Quận Ba Đình"
    partstats = {str(a): (a.params["CN"], a.params["PARTSTAT"]) for a in event["ATTENDEE"]}
    assert partstats == {"urn:giaoban:unit:legacy:00001": ("Phường Phúc Xá", "ACCEPTED"),
                         "urn:giaoban:unit:legacy:00004": ("Phường Trúc Bạch", "DECLINED"),
                         "urn:giaoban:unit:legacy:00006": ("Phường Vĩnh Phúc", "NEEDS-ACTION")}
    assert str(event["URL"]) == f"{BASE}/meetings/{meeting.id}"
    assert str(event["DESCRIPTION"]) == ("Chuẩn bị báo cáo.\n\nBridge: MCU Thành phố\n"
                                         "Dial-in address: sip:badinh@vc.hanoi.gov.vn")
    assert str(event["STATUS"]) == "CONFIRMED"


def test_an_invited_scope_sees_its_own_lines_and_the_number_invited(app, hanoi, make_meeting):
    """A feed scoped to units that are only invited (a ward clerk's) lists their own ATTENDEE
    and "Units invited: N", like a unit's feed; loading only the scope's invitations (the
    feed route's loader) gives the same bytes as loading every one."""
    meeting = make_meeting(hanoi["ba_dinh"], utcnow() + timedelta(days=1), mode="in_person",
                           participants=[hanoi["phuc_xa"], hanoi["truc_bach"], hanoi["vinh_phuc"]])
    meeting.invitations[0].response = "confirmed"
    own = make_meeting(hanoi["phuc_xa"], utcnow() + timedelta(days=2), mode="in_person",
                       participants=[hanoi["truc_bach"], hanoi["vinh_phuc"]])
    db.session.commit()
    scope = frozenset({hanoi["phuc_xa"].id})
    full, _ = render_unit(app, hanoi["phuc_xa"])
    events = {str(e["UID"]): e for e in Calendar.from_ical(full).walk("VEVENT")}
    invited, organised = events[meeting.uid], events[own.uid]
    assert str(invited["ATTENDEE"]) == "urn:giaoban:unit:legacy:00001"
    assert invited["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    assert str(invited["DESCRIPTION"]).endswith("Units invited: 3")
    assert sorted(str(a) for a in organised["ATTENDEE"]) == ["urn:giaoban:unit:legacy:00004",
                                                            "urn:giaoban:unit:legacy:00006"]
    assert "Units invited" not in str(organised.get("DESCRIPTION", ""))

    query = feed_meetings_query(scope, utcnow(), app.config["FEED_PAST_DAYS"], app.config["FEED_FUTURE_DAYS"])
    db.session.expire_all()
    ical.cache_clear()
    loaded = []

    def load(ids):
        loaded.extend(load_feed_meetings(ids, FeedScope("Phúc Xá", "u", scope)))
        return loaded
    partial = ical.assemble_feed(feed_versions(query), load, context(scope=scope), name="Phường Phúc Xá",
                                 uid="unit-legacy:00001")
    by_id = {m.id: m for m in loaded}
    assert [i.unit_id for i in by_id[meeting.id].invitations] == [hanoi["phuc_xa"].id]  # only its own
    assert len(by_id[own.id].invitations) == 2  # every line of what it organises
    def vevents(data):
        return sorted(data.removesuffix(b"END:VCALENDAR\r\n").split(b"BEGIN:VEVENT")[1:])
    assert vevents(partial) == vevents(full)
    forget_invitations(loaded)
    assert len(by_id[meeting.id].invitations) == 3  # nothing partial stays in the session


def test_cancelled_single_meetings_stay_thirty_days(app, hanoi, make_meeting):
    now = utcnow()
    recent = make_meeting(hanoi["ba_dinh"], now - timedelta(days=29, hours=3),
                          participants=[hanoi["phuc_xa"]], status="cancelled")
    gone = make_meeting(hanoi["ba_dinh"], now - timedelta(days=31, hours=3),
                        participants=[hanoi["phuc_xa"]], status="cancelled")
    held = make_meeting(hanoi["ba_dinh"], now - timedelta(days=31, hours=3),
                        participants=[hanoi["phuc_xa"]], status="held", outcome_mode="online")
    ids = {m.id for m in render_unit(app, hanoi["phuc_xa"])[1]}
    assert recent.id in ids and held.id in ids and gone.id not in ids


def test_occurrence_request_is_standalone_with_recurrence_id(app, hanoi, make_meeting):
    series, rows = make_series(make_meeting, hanoi["ba_dinh"], next_monday(), "FREQ=WEEKLY;COUNT=4",
                               participants=[hanoi["phuc_xa"]])
    data = ical.meeting_calendar_bytes(rows[1], context(), "REQUEST")
    cal = Calendar.from_ical(data)
    assert str(cal["METHOD"]) == "REQUEST"
    (event,) = cal.walk("VEVENT")
    assert str(event["UID"]) == series.uid and "RRULE" not in event
    assert _utc(event.decoded("RECURRENCE-ID")) == rows[1].recurrence_id
    published = Calendar.from_ical(ical.meeting_calendar_bytes(rows[1], context()))
    assert str(published["METHOD"]) == "PUBLISH"
    assert [bool("RRULE" in e) for e in published.walk("VEVENT")] == [True]


def test_feed_is_assembled_from_cached_events(app, year):
    """Bytes cached by version; only what changed is loaded and serialised again."""
    query = feed_meetings_query({year["unit"].id}, utcnow(), 90, 365)
    ctx = context()
    loaded = []

    def load(ids):
        loaded.append(sorted(ids))
        return load_feed_meetings(ids)

    def assemble():
        return ical.assemble_feed(feed_versions(query), load, ctx, name="Phúc Xá", uid="u")

    ical.cache_clear()
    first = assemble()
    built = ical.calendar_bytes(load_feed_meetings(query), ctx, name="Phúc Xá", uid="u")
    def vevents(data):
        return sorted(data.removesuffix(b"END:VCALENDAR\r\n").split(b"BEGIN:VEVENT")[1:])
    assert vevents(first) == vevents(built) and first.startswith(built[:built.index(b"BEGIN:VEVENT")])
    groups = ical.cache_stats()["size"]
    assert assemble() == first and loaded[1:] == []  # nothing loaded the second time
    assert ical.cache_stats()["hits"] == groups
    year["rows"][6].title, year["rows"][6].revision = "Đổi tên", 2
    db.session.commit()
    changed = assemble()
    assert loaded[1] == sorted(m.id for m in year["rows"])  # the series, alone
    assert "Đổi tên".encode() in changed and changed != first


def test_the_serialiser_stands_without_the_web():
    """scheduler/ical*.py: no flask, no webapp, no query of its own (issue #10)."""
    import ast
    from pathlib import Path

    import scheduler.ical
    import scheduler.ical_cache
    for module in (scheduler.ical, scheduler.ical_cache):
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        names |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not {n for n in names if n.split(".")[0] in ("flask", "flask_babel", "webapp", "sqlalchemy")}
        assert "db.session" not in Path(module.__file__).read_text(encoding="utf-8")
