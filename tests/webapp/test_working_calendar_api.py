"""The working calendar through the API, the booking form and the admin page."""
import re
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import func, select

from models import CalendarException, Meeting, db

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=True):
        yield


def test_api_lists_tet_and_manages_exceptions(client, hanoi, make_user, token_for):
    admin, clerk = make_user("admin"), make_user("clerk", hanoi["phuc_xa"])
    days = {d["date"]: d for d in client.get("/api/v1/calendar?year=2027", headers=token_for(clerk)).json}
    assert days["2027-02-08"] == {"date": "2027-02-08", "working": False, "name": "Mùng ba Tết Nguyên Đán",
                                  "source": "national"}
    assert "2027-02-13" not in days  # a plain Saturday is not listed
    saturday = {"day": "2027-03-06", "kind": "working_day", "label": "Làm bù ngày 19/3"}
    assert client.put("/api/v1/calendar/exceptions", json=saturday, headers=token_for(clerk)).status_code == 403
    r = client.put("/api/v1/calendar/exceptions", json=saturday, headers=token_for(admin))
    assert r.status_code == 200 and r.json["working"] is True
    days = {d["date"]: d for d in client.get("/api/v1/calendar?year=2027", headers=token_for(admin)).json}
    assert days["2027-03-06"]["source"] == "office" and days["2027-03-06"]["working"] is True
    assert client.delete("/api/v1/calendar/exceptions/2027-03-06", headers=token_for(admin)).status_code == 204
    assert db.session.scalar(select(func.count(CalendarException.id))) == 0


def test_api_booking_names_the_holiday_and_skips_with_the_option(client, equipped, bridge, organizer, token_for):
    headers = token_for(organizer)
    one = {"title": "Giao ban đầu xuân", "category": "giao_ban", "organizer": "legacy:01", "mode": "online",
           "start": "2027-02-08T08:00:00", "end": "2027-02-08T09:00:00", "participants": ["legacy:00001"],
           "bridge": bridge.id}
    r = client.post("/api/v1/meetings", json={**one, "strict": True}, headers=headers)
    assert r.status_code == 422 and "Mùng ba Tết Nguyên Đán" in str(r.json["error"]["details"])
    r = client.post("/api/v1/meetings", json=one, headers=headers)
    assert r.status_code == 201 and r.json["warnings"]["holiday"][0]["name"] == "Mùng ba Tết Nguyên Đán"
    series = {**one, "start": "2027-02-01T14:00:00", "end": "2027-02-01T15:00:00",
              "rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=3", "skip_holidays": True}
    r = client.post("/api/v1/meetings", json=series, headers=headers)
    assert r.status_code == 201, r.json
    assert [s["date"] for s in r.json["skipped"]] == ["2027-02-08"] and len(r.json["occurrences"]) == 2
    assert db.session.scalar(select(func.count(Meeting.id))) == 3


def test_admin_page_shows_the_year_and_saves_an_exception(client, hanoi, make_user, auth):
    admin = make_user("admin")
    auth.login(admin)
    page = client.get("/admin/calendar/?year=2027").get_data(as_text=True)
    assert "Mùng ba Tết Nguyên Đán" in page and "08/02/2027" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/admin/calendar/", data={"csrf_token": token, "day": "2027-03-19", "kind": "day_off",
                                              "label": "Nghỉ bù"})
    assert r.status_code == 303
    assert db.session.scalar(select(CalendarException.label)) == "Nghỉ bù"
    assert "Nghỉ bù" in client.get("/admin/calendar/?year=2027").get_data(as_text=True)
