"""Meeting pages: the booking form (check, find a slot, book), a meeting's page, changes,
cancellations, outcomes, the awaiting list and the calendars, on the real clock."""
import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from models import AuditLog, Invitation, Meeting, Series, db
from models.base import utcnow
from scheduler.booking import book_meeting
from tests.booking_data import LOCAL, meeting_data


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def monday_ahead(weeks: int = 2) -> date:
    """A Monday 8 to 14 days (or more weeks) from today, local time."""
    today = utcnow().astimezone(LOCAL).date()
    return today + timedelta(days=7 * weeks - today.weekday())


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL)


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def form(bridge, day: date, **overrides) -> dict:
    data = {"title": "Giao ban thành phố", "category": "giao_ban", "organizer": "legacy:01",
            "mode": "online", "date": day.isoformat(), "start_time": "08:00",
            "end_time": "10:00", "bridge": str(bridge.id), "repeat": "none", "interval": "1",
            "location": "Phòng họp số 1", "description": ""}
    data.update(overrides)
    return data


def post_new(client, data: dict, action: str = "book"):
    token = csrf_of(client.get("/meetings/new").get_data(as_text=True))
    return client.post("/meetings/new", data={action: "1", **data, "csrf_token": token})


def book(organizer, bridge, start: datetime, hours: int = 2, **extra) -> list[Meeting]:
    data = meeting_data(start=start, end=start + timedelta(hours=hours), bridge=bridge.id, **extra)
    return book_meeting(data, organizer, utcnow(), 30).meetings


def section(page: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}".*?(?=data-testid=|</main>)', page, re.S)
    assert match, f"no {testid} on the page"
    return match.group(0)


def invalid(page: str, field: str) -> bool:
    return re.search(rf'class="[^"]*is-invalid[^"]*" id="{field}"', page) is not None


def test_pages_need_sign_in(client, hanoi):
    for path in ("/meetings", "/meetings/new", "/meetings/awaiting", "/meetings/1",
                 "/units/legacy:001/calendar"):
        r = client.get(path)
        assert r.status_code == 302 and "/login" in r.headers["Location"], path


def test_book_weekly_city_wide_series_through_the_form(client, auth, organizer, equipped, bridge):
    equipped["hang_ma"].status = "faulty"
    db.session.commit()
    auth.login(organizer)
    monday = monday_ahead()
    r = post_new(client, form(bridge, monday, groups=["all:districts_and_communes"],
                              repeat="weekly", weekdays=["MO"], count="4"))
    assert r.status_code == 303, r.get_data(as_text=True)
    meetings = db.session.scalars(select(Meeting).order_by(Meeting.start_at)).all()
    assert [m.start_at for m in meetings] == [at(monday + timedelta(weeks=i), 8) for i in range(4)]
    assert r.headers["Location"].endswith(f"/meetings/{meetings[0].id}")
    assert db.session.scalar(select(Series.rrule)) == "FREQ=WEEKLY;BYDAY=MO;COUNT=4"
    assert {len(m.invitations) for m in meetings} == {8}
    assert {m.ports for m in meetings} == {8} and {m.bridge_id for m in meetings} == {bridge.id}

    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert re.search(r'alert-warning"[^>]*>[^<]*Phường Hàng Mã', page)  # the not-ready flash
    assert "Giao ban thành phố" in page and at(monday, 8).strftime("%d/%m/%Y 08:00") in page
    assert "MCU Thành phố" in page and "Phòng họp số 1" in page
    participants = section(page, "participants")
    for name in ("Quận Ba Đình", "Phường Hàng Mã", "sip:00040@hn.vn"):
        assert name in participants
    assert "Sở Nội vụ" not in participants
    series = section(page, "series")
    assert all(f"/meetings/{m.id}" in series for m in meetings)
    assert f"Hằng tuần vào thứ Hai, 4 buổi, từ {monday:%d/%m/%Y}" in page and "FREQ=" not in page  # words, not the rule
    assert organizer.email in section(page, "history")
    listed = section(client.get("/meetings").get_data(as_text=True), "meetings")
    assert all(f"/meetings/{m.id}\"" in listed for m in meetings)


def test_check_shows_clash_and_not_ready_without_writing(client, auth, organizer, equipped, bridge):
    monday = monday_ahead()
    (first,) = book(organizer, bridge, at(monday, 8), title="Họp đã đặt",
                    participants=["legacy:00001"])
    equipped["dong_xuan"].status = "faulty"
    db.session.commit()
    auth.login(organizer)
    data = form(bridge, monday, start_time="09:00", end_time="11:00",
                units=["legacy:00001", "legacy:00040"])
    r = post_new(client, data, "check")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    clashes = section(page, "conflicts")
    assert f"/meetings/{first.id}" in clashes and "Họp đã đặt" in clashes
    assert "Phường Phúc Xá" in clashes and "Thành phố Hà Nội" in clashes
    assert "Phường Đồng Xuân" in section(page, "not-ready")
    assert count(Meeting) == 1

    r = post_new(client, data, "book")
    assert r.status_code == 409 and "Họp đã đặt" in section(r.get_data(as_text=True), "conflicts")
    assert count(Meeting) == 1 and count(AuditLog) == 1


def test_check_without_clash_lists_occurrences(client, auth, organizer, equipped, bridge):
    auth.login(organizer)
    monday = monday_ahead()
    r = post_new(client, form(bridge, monday, units=["legacy:00001"], repeat="daily",
                              count="3"), "check")
    assert r.status_code == 200
    preview = section(r.get_data(as_text=True), "preview")
    for i in range(3):
        assert (monday + timedelta(days=i)).strftime("%d/%m/%Y") in preview
    assert 'data-testid="conflicts"' not in r.get_data(as_text=True) and count(Meeting) == 0


def test_find_a_slot_lists_slots_and_fills_the_form(client, auth, organizer, equipped, bridge):
    monday = monday_ahead()
    book(organizer, bridge, at(monday, 8), participants=["legacy:00001"])
    auth.login(organizer)
    data = form(bridge, monday, start_time="08:00", end_time="09:00", units=["legacy:00001"],
                title="")
    r = post_new(client, data, "find_slot")
    assert r.status_code == 200
    slots = re.findall(r'name="slot" value="([^"]+)"', section(r.get_data(as_text=True), "slots"))
    assert slots[:3] == [f"{monday}T10:00", f"{monday}T10:30", f"{monday}T11:00"]

    r = post_new(client, {**data, "slot": slots[0]}, "slot")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert re.search(r'id="start_time"[^>]*value="10:00', page)
    assert re.search(r'id="end_time"[^>]*value="11:00', page)
    assert count(Meeting) == 1


def _edit(client, meeting: Meeting, **changes):
    page = client.get(f"/meetings/{meeting.id}/edit").get_data(as_text=True)
    local_start = meeting.start_at.astimezone(LOCAL)
    data = {"csrf_token": csrf_of(page), "title": meeting.title, "mode": meeting.mode,
            "bridge": str(meeting.bridge_id or ""), "location": meeting.location or "",
            "description": meeting.description or "", "date": local_start.date().isoformat(),
            "start_time": local_start.strftime("%H:%M"),
            "end_time": meeting.end_at.astimezone(LOCAL).strftime("%H:%M"),
            "units": [inv.unit.ref for inv in meeting.invitations], "scope": "this"}
    data.update(changes)
    return client.post(f"/meetings/{meeting.id}/edit", data=data)


def test_move_one_occurrence_then_this_and_following(client, auth, organizer, equipped, bridge):
    monday = monday_ahead()
    series = book(organizer, bridge, at(monday, 8), rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=4")
    ids = [m.id for m in series]
    auth.login(organizer)
    tuesday = monday + timedelta(days=8)
    r = _edit(client, series[1], date=tuesday.isoformat(), start_time="14:00", end_time="16:00")
    assert r.status_code == 303, r.get_data(as_text=True)
    r = _edit(client, series[2], start_time="09:00", end_time="11:00", scope="following")
    assert r.status_code == 303, r.get_data(as_text=True)
    db.session.expire_all()
    starts = [db.session.get(Meeting, i).start_at for i in ids]
    assert starts == [at(monday, 8), at(tuesday, 14), at(monday + timedelta(weeks=2), 9),
                      at(monday + timedelta(weeks=3), 9)]
    assert [db.session.get(Meeting, i).revision for i in ids] == [0, 1, 1, 1]
    page = client.get(f"/meetings/{ids[1]}").get_data(as_text=True)
    history = section(page, "history")
    assert f"<del>{(monday + timedelta(weeks=1)):%d/%m/%Y} 08:00</del> → {tuesday:%d/%m/%Y} 14:00" \
        in history


def test_cancel_all_occurrences_from_the_page(client, auth, organizer, equipped, bridge):
    series = book(organizer, bridge, at(monday_ahead(), 8), rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=3")
    auth.login(organizer)
    page = client.get(f"/meetings/{series[1].id}").get_data(as_text=True)
    assert 'name="scope"' in section(page, "cancel-form")
    r = client.post(f"/meetings/{series[1].id}/cancel",
                    data={"csrf_token": csrf_of(page), "scope": "all", "reason": "Lịch thay đổi"})
    assert r.status_code == 303
    db.session.expire_all()
    assert {db.session.get(Meeting, m.id).status for m in series} == {"cancelled"}
    page = client.get(f"/meetings/{series[0].id}").get_data(as_text=True)
    assert 'data-testid="cancel-form"' not in page


def test_cancel_with_a_bad_scope_is_400(client, auth, organizer, equipped, bridge):
    series = book(organizer, bridge, at(monday_ahead(), 8), rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=2")
    auth.login(organizer)
    page = client.get(f"/meetings/{series[0].id}").get_data(as_text=True)
    r = client.post(f"/meetings/{series[0].id}/cancel",
                    data={"csrf_token": csrf_of(page), "scope": "everything"})
    assert r.status_code == 400
    assert {m.status for m in db.session.scalars(select(Meeting))} == {"scheduled"}


def test_outcome_form_and_awaiting_list(client, auth, organizer, hanoi, make_meeting):
    now = utcnow()
    older = make_meeting(hanoi["city"], now - timedelta(days=3), title="Họp cũ hơn",
                         participants=[hanoi["phuc_xa"], hanoi["truc_bach"]])
    newer = make_meeting(hanoi["ba_dinh"], now - timedelta(days=1), title="Họp mới hơn",
                         participants=[hanoi["phuc_xa"]])
    make_meeting(hanoi["city"], now + timedelta(days=2), title="Họp sắp tới")
    auth.login(organizer)
    awaiting = section(client.get("/meetings/awaiting").get_data(as_text=True), "awaiting")
    assert awaiting.index("Họp cũ hơn") < awaiting.index("Họp mới hơn")
    assert "Họp sắp tới" not in awaiting
    assert f"/meetings/{older.id}/outcome" in awaiting

    page = client.get(f"/meetings/{older.id}/outcome?connected=all").get_data(as_text=True)
    assert len(re.findall(r'checked[^>]*name="connected"|name="connected"[^>]*checked',
                          section(page, "connected"))) == 2
    r = client.post(f"/meetings/{older.id}/outcome", data={
        "csrf_token": csrf_of(page), "status": "held", "mode": "hybrid",
        "connected": ["legacy:00001"]})
    assert r.status_code == 303
    db.session.expire_all()
    m = db.session.get(Meeting, older.id)
    assert (m.status, m.outcome_mode) == ("held", "hybrid")
    assert {inv.unit.ref: inv.connected for inv in m.invitations} == {
        "legacy:00001": True, "legacy:00004": False}
    awaiting = section(client.get("/meetings/awaiting").get_data(as_text=True), "awaiting")
    assert "Họp cũ hơn" not in awaiting and "Họp mới hơn" in awaiting

    r = client.post(f"/meetings/{newer.id}/outcome", data={
        "csrf_token": csrf_of(page), "status": "held", "mode": "sideways"})
    assert r.status_code == 400 and invalid(r.get_data(as_text=True), "mode")
    assert db.session.get(Meeting, newer.id).status == "scheduled"


def test_outcome_of_a_meeting_not_ended_is_400(client, auth, organizer, hanoi, make_meeting):
    upcoming = make_meeting(hanoi["city"], utcnow() + timedelta(days=1),
                            participants=[hanoi["phuc_xa"]])
    auth.login(organizer)
    page = client.get(f"/meetings/{upcoming.id}/outcome").get_data(as_text=True)
    r = client.post(f"/meetings/{upcoming.id}/outcome", data={
        "csrf_token": csrf_of(page), "status": "held", "mode": "online"})
    assert r.status_code == 400 and "Cuộc họp chưa kết thúc." in r.get_data(as_text=True)
    assert db.session.get(Meeting, upcoming.id).status == "scheduled"


def test_calendars_show_the_meeting(client, auth, organizer, equipped, bridge, make_user, hanoi):
    monday = monday_ahead()
    (kept,) = book(organizer, bridge, at(monday + timedelta(days=2), 14), title="Họp thứ tư",
                   participants=["legacy:00001"])
    (dropped,) = book(organizer, bridge, at(monday, 8), title="Họp bị huỷ",
                      participants=["legacy:00001"])
    auth.login(make_user("clerk", hanoi["phuc_xa"]))
    for view, testid in (("week", "week"), ("month", "month")):
        r = client.get(f"/units/legacy:00001/calendar?view={view}&date={monday}")
        assert r.status_code == 200
        grid = section(r.get_data(as_text=True), testid)
        assert f"/meetings/{kept.id}" in grid and "Họp thứ tư" in grid
        assert f"/meetings/{dropped.id}" in grid
    page = client.get(f"/meetings/{dropped.id}").get_data(as_text=True)
    r = client.post(f"/meetings/{dropped.id}/cancel", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 403  # a clerk sees the meeting but may not cancel it
    auth.logout()
    auth.login(organizer)
    page = client.get(f"/meetings/{dropped.id}").get_data(as_text=True)
    r = client.post(f"/meetings/{dropped.id}/cancel",
                    data={"csrf_token": csrf_of(page), "reason": "Không còn cần thiết"})
    assert r.status_code == 303
    page = client.get(f"/units/legacy:00001/calendar?view=week&date={monday}")
    page = page.get_data(as_text=True)
    assert "<del>Họp bị huỷ</del>" in section(page, "week")
    assert f"date={monday - timedelta(days=7)}" in page
    assert f"date={monday + timedelta(days=7)}" in page
    later = client.get(f"/units/legacy:00001/calendar?view=week&date={monday + timedelta(days=7)}")
    assert "Họp thứ tư" not in later.get_data(as_text=True)
    assert "Họp thứ tư" in client.get("/units/legacy:01/calendar?view=month&date="
                                      f"{monday + timedelta(days=2)}").get_data(as_text=True)


def test_calendar_of_a_unit_outside_scope_is_403(client, auth, hanoi, make_user):
    auth.login(make_user("clerk", hanoi["phuc_xa"]))
    assert client.get("/units/legacy:00004/calendar").status_code == 403
    assert client.get("/units/legacy:99999/calendar").status_code == 404


def test_clerk_cannot_open_the_booking_form(client, auth, hanoi, make_user, bridge):
    auth.login(make_user("clerk", hanoi["phuc_xa"]))
    assert client.get("/meetings/new").status_code == 403
    assert client.get("/meetings/new?organizer=legacy:001").status_code == 403


def test_organiser_cannot_book_for_a_unit_outside_scope(client, auth, hanoi, make_user, equipped,
                                                        bridge):
    auth.login(make_user("organizer", hanoi["ba_dinh"]))
    assert client.get("/meetings/new?organizer=legacy:01").status_code == 403
    page = client.get("/meetings/new").get_data(as_text=True)
    organisers = re.search(r'<select[^>]*id="organizer".*?</select>', page, re.S).group(0)
    assert set(re.findall(r'value="([^"]+)"', organisers)) == {
        "legacy:001", "legacy:00001", "legacy:00004", "legacy:00006"}
    r = post_new(client, form(bridge, monday_ahead(), organizer="legacy:002",
                              units=["legacy:00001"]))
    assert r.status_code == 403 and count(Meeting) == 0


def test_organiser_outside_scope_gets_403_on_edit_and_cancel(client, auth, organizer, hanoi,
                                                            make_user, equipped, bridge):
    (meeting,) = book(organizer, bridge, at(monday_ahead(), 8), participants=["legacy:00001"])
    auth.login(make_user("organizer", hanoi["ba_dinh"]))
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert 'data-testid="cancel-form"' not in page
    assert client.get(f"/meetings/{meeting.id}/edit").status_code == 403
    token = csrf_of(page)
    r = client.post(f"/meetings/{meeting.id}/edit", data={"csrf_token": token})
    assert r.status_code == 403
    assert client.post(f"/meetings/{meeting.id}/cancel",
                       data={"csrf_token": token, "scope": "this"}).status_code == 403
    assert client.get(f"/meetings/{meeting.id}/outcome").status_code == 403
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).status == "scheduled"
    auth.logout()
    auth.login(make_user("organizer", hanoi["hoan_kiem"]))
    assert client.get(f"/meetings/{meeting.id}").status_code == 404
    assert client.get(f"/meetings/{meeting.id}/edit").status_code == 404
    assert client.get("/meetings/999999").status_code == 404


@pytest.mark.parametrize("overrides, field, reason", [
    ({"title": ""}, "title", None),
    ({"start_time": "10:00", "end_time": "09:00"}, "end_time", "phải sau giờ bắt đầu"),
    ({"date": "2026-13-45"}, "date", None),
    ({"start_time": "8h"}, "start_time", None),
    ({"codes": "legacy:99999"}, "units", "Không có đơn vị &#39;legacy:99999&#39;"),
    ({"repeat": "weekly"}, "count", "Nhập số buổi hoặc ngày kết thúc"),
    ({"repeat": "weekly", "count": "400"}, "count", None),
    ({"mode": "online", "bridge": ""}, "bridge", "cần chọn cầu truyền hình"),
    ({"bridge": "x1"}, "bridge", "Chọn cầu truyền hình trong danh sách"),
    ({"category": "party"}, "category", None),
    ({"date": "2020-01-06"}, "start_time", "Giờ bắt đầu đã qua"),
])
def test_bad_form_input_is_400_with_the_field_named(client, auth, organizer, equipped, bridge,
                                                    overrides, field, reason):
    auth.login(organizer)
    r = post_new(client, {**form(bridge, monday_ahead(), units=["legacy:00001"]), **overrides})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert invalid(page, field), field
    if reason:
        assert reason in page
    assert count(Meeting) == 0 and count(Invitation) == 0 and count(AuditLog) == 0


def test_edit_with_bad_input_is_400_and_nothing_changes(client, auth, organizer, equipped, bridge):
    (meeting,) = book(organizer, bridge, at(monday_ahead(), 8), participants=["legacy:00001"])
    auth.login(organizer)
    r = _edit(client, meeting, start_time="11:00", end_time="10:00", title="Đổi tên")
    assert r.status_code == 400 and invalid(r.get_data(as_text=True), "end_time")
    db.session.expire_all()
    m = db.session.get(Meeting, meeting.id)
    assert (m.title, m.revision, m.start_at) == (meeting.title, 0, at(monday_ahead(), 8))


def test_index_filters_by_unit_and_status(client, auth, organizer, hanoi, make_meeting):
    now = utcnow()
    make_meeting(hanoi["city"], now + timedelta(days=3), title="Họp Phúc Xá",
                 participants=[hanoi["phuc_xa"]])
    make_meeting(hanoi["city"], now + timedelta(days=4), title="Họp Hàng Mã",
                 participants=[hanoi["hang_ma"]])
    make_meeting(hanoi["city"], now - timedelta(days=4), title="Họp đã xong", status="held",
                 outcome_mode="online", participants=[hanoi["hang_ma"]])
    auth.login(organizer)
    listed = section(client.get("/meetings").get_data(as_text=True), "meetings")
    assert "Họp Phúc Xá" in listed and "Họp Hàng Mã" in listed and "Họp đã xong" not in listed
    listed = section(client.get("/meetings?unit=legacy:00001").get_data(as_text=True), "meetings")
    assert "Họp Phúc Xá" in listed and "Họp Hàng Mã" not in listed
    listed = section(client.get("/meetings?status=held").get_data(as_text=True), "meetings")
    assert listed.count("Họp ") == 1 and "Họp đã xong" in listed


def test_month_grid_lists_a_few_meetings_a_day_and_links_the_rest(client, auth, organizer, hanoi,
                                                                  make_meeting):
    day = monday_ahead() + timedelta(days=1)
    for hour in range(8, 17):
        make_meeting(hanoi["city"], at(day, hour), hours=1, title=f"Họp lúc {hour:02d}h")
    auth.login(organizer)
    page = client.get(f"/units/legacy:01/calendar?view=month&date={day}").get_data(as_text=True)
    month = section(page, "month")
    assert "Họp lúc 13h" in month and "Họp lúc 14h" not in month
    assert f"view=week&amp;date={day}" in month
    week = section(client.get(f"/units/legacy:01/calendar?view=week&date={day}")
                   .get_data(as_text=True), "week")
    assert all(f"Họp lúc {hour:02d}h" in week for hour in range(8, 17))
