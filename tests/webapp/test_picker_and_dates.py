"""The booking and edit forms' participant picker (checkboxes that keep the invitees) and their
dd/mm/yyyy and 24-hour inputs, without a browser."""
import re
from datetime import date, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from models import AuditLog, Invitation, Meeting, db
from tests.webapp.test_meeting_pages import at, book, csrf_of, form, monday_ahead, post_new
from webapp.form_fields import parse_clock, parse_day


@pytest.mark.parametrize("text, expected", [
    ("07/01/2019", date(2019, 1, 7)), ("7/1/2019", date(2019, 1, 7)), ("07-01-2019", date(2019, 1, 7)),
    ("07.01.2019", date(2019, 1, 7)), ("2019-01-07", date(2019, 1, 7)), (" 29/02/2020 ", date(2020, 2, 29)),
    ("29/02/2019", None), ("01/13/2019", None), ("2019/01/07", None), ("07/01/19", None),
    ("", None), ("tomorrow", None), ("12/31/2019", None),
])
def test_parse_day_reads_dd_mm_yyyy_and_iso(text, expected):
    assert parse_day(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("08:00", time(8)), ("8:05", time(8, 5)), ("23:59", time(23, 59)), ("14:30:15", time(14, 30, 15)),
    ("24:00", None), ("12:60", None), ("2:00 PM", None), ("8h", None), ("0800", None), ("", None),
])
def test_parse_clock_reads_24_hour_times(text, expected):
    assert parse_clock(text) == expected


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)),
       st.times().map(lambda t: t.replace(microsecond=0)))
def test_what_the_form_writes_it_reads_back(day, clock):
    assert parse_day(day.strftime("%d/%m/%Y")) == day == parse_day(day.isoformat())
    assert parse_clock(clock.strftime("%H:%M:%S")) == clock
    assert parse_clock(clock.strftime("%H:%M")) == clock.replace(second=0)


def test_booking_form_shows_and_takes_dd_mm_yyyy_and_24_hour(client, auth, organizer, equipped, bridge):
    auth.login(organizer)
    page = client.get("/meetings/new").get_data(as_text=True)
    for name in ("date", "start_time", "end_time", "until"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        assert 'type="text"' in tag, tag
    assert re.search(r'name="date"[^>]*value="\d{2}/\d{2}/\d{4}"', page) or \
        re.search(r'value="\d{2}/\d{2}/\d{4}"[^>]*name="date"', page)
    assert re.search(r'value="08:00"', page)
    monday = monday_ahead()
    r = post_new(client, form(bridge, monday, date=monday.strftime("%d/%m/%Y"), start_time="14:30",
                              end_time="16:00", units=["legacy:00001"]))
    assert r.status_code == 303, r.get_data(as_text=True)
    assert db.session.scalar(select(Meeting.start_at)) == at(monday, 14, 30)


def test_a_wrong_date_says_how_to_write_it(client, auth, organizer, equipped, bridge):
    auth.login(organizer)
    r = post_new(client, form(bridge, monday_ahead(), date="12/31/2030", units=["legacy:00001"]))
    assert r.status_code == 400 and "dd/mm/yyyy" in r.get_data(as_text=True)


def _edit_page(client, meeting_id):
    return client.get(f"/meetings/{meeting_id}/edit").get_data(as_text=True)


def _checked_units(page: str) -> set[str]:
    return set(re.findall(r'<input[^>]*name="units" value="([^"]+)"[^>]*checked', page))


def test_the_edit_form_ticks_every_invitee_and_a_plain_tick_adds_one(client, auth, organizer, hanoi,
                                                                      equipped, bridge):
    (meeting,) = book(organizer, bridge, at(monday_ahead(), 8),
                      participants=["communes:legacy:001", "legacy:00037"])
    invited = {inv.unit.ref for inv in meeting.invitations}
    auth.login(organizer)
    page = _edit_page(client, meeting.id)
    assert _checked_units(page) == invited and len(invited) == 4
    assert "Đã chọn 4 đơn vị" in page
    # What a browser sends after one more tick: every ticked box, the new one too.
    data = {"csrf_token": csrf_of(page), "title": meeting.title, "mode": meeting.mode,
            "bridge": str(bridge.id), "date": f"{monday_ahead():%d/%m/%Y}", "start_time": "08:00",
            "end_time": "10:00", "units": sorted(invited | {"legacy:00040"}), "scope": "this"}
    r = client.post(f"/meetings/{meeting.id}/edit", data=data)
    assert r.status_code == 303, r.get_data(as_text=True)
    assert {i.unit.ref for i in db.session.scalars(select(Invitation).where(
        Invitation.meeting_id == meeting.id))} == invited | {"legacy:00040"}


def test_a_group_box_beside_the_units_it_covers_changes_nobody(client, auth, organizer, hanoi,
                                                               equipped, bridge):
    (meeting,) = book(organizer, bridge, at(monday_ahead(), 8), participants=["communes:legacy:001"])
    auth.login(organizer)
    page = _edit_page(client, meeting.id)
    audits = db.session.scalar(select(func.count(AuditLog.id)))
    # The picker's script ticks "all communes of Ba Đình" when all three are invited.
    data = {"csrf_token": csrf_of(page), "title": "Giao ban (sửa tên)", "mode": meeting.mode,
            "bridge": str(bridge.id), "date": f"{monday_ahead():%d/%m/%Y}", "start_time": "08:00",
            "end_time": "10:00", "units": sorted(_checked_units(page)),
            "districts": ["legacy:001"], "scope": "this"}
    r = client.post(f"/meetings/{meeting.id}/edit", data=data)
    assert r.status_code == 303, r.get_data(as_text=True)
    row = db.session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert db.session.scalar(select(func.count(AuditLog.id))) == audits + 1
    assert row.after["title"] == "Giao ban (sửa tên)" != row.before["title"]
    assert row.after.get("participants") == row.before.get("participants")


def test_the_picker_is_a_tree_of_checkboxes_with_group_boxes(client, auth, organizer, hanoi, equipped):
    auth.login(organizer)
    page = client.get("/meetings/new").get_data(as_text=True)
    assert "<select" not in re.search(r'data-testid="picker".*?</fieldset>', page, re.S).group(0)
    district = re.search(r'<details data-picker-district="legacy:001".*?</details>', page, re.S).group(0)
    assert 'name="districts" value="legacy:001"' in district
    for ref in ("legacy:00001", "legacy:00004", "legacy:00006"):
        assert re.search(rf'name="units" value="{ref}" data-level="commune" data-district="legacy:001"',
                         district)
    assert 'data-search="phuong phuc xa"' in district  # the accent-free key the search matches
    for group in ("all:districts_and_communes", "all:districts", "all:communes", "all:departments"):
        assert f'value="{group}"' in page
