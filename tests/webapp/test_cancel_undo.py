"""Cancelling asks first (what the scope cancels, how many units are told, a required reason),
and can be undone until the meeting starts: the same meetings are booked again by the booking's
check, refused with the clashes when their slot was taken meanwhile. On both engines."""
from datetime import timedelta

from sqlalchemy import select

from models import AuditLog, EndpointBooking, Meeting, Notice, db
from models.base import utcnow
from scheduler.changes import cancel_meeting, restorable, restore_meeting
from scheduler.notices import body_lines, subject_of
from tests.webapp.test_meeting_pages import at, book, csrf_of, monday_ahead, section


def statuses(rows) -> list[str]:
    db.session.expire_all()
    return [db.session.get(Meeting, m.id).status for m in rows]


def test_the_confirmation_page_states_the_scope_count_and_units(client, auth, organizer, equipped, bridge):
    series = book(organizer, bridge, at(monday_ahead(), 8), rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=4",
                  participants=["legacy:00001", "legacy:00004"])
    auth.login(organizer)
    detail = client.get(f"/meetings/{series[1].id}").get_data(as_text=True)
    assert f'method="get" action="/meetings/{series[1].id}/cancel"' in detail  # the button asks first
    page = client.get(f"/meetings/{series[1].id}/cancel?scope=following").get_data(as_text=True)
    summary = section(page, "cancel-summary")
    assert "3 buổi" in summary and f"{series[1].start_at.astimezone(at(monday_ahead(), 8).tzinfo):%d/%m/%Y}" \
        in summary
    assert "2 đơn vị được mời sẽ được thông báo" in summary
    whole = section(client.get(f"/meetings/{series[1].id}/cancel?scope=all").get_data(as_text=True),
                    "cancel-summary")
    assert "hủy cả chuỗi họp: 4 buổi sắp tới" in whole
    one = section(client.get(f"/meetings/{series[1].id}/cancel").get_data(as_text=True), "cancel-summary")
    assert "chỉ hủy buổi họp này" in one
    assert statuses(series) == ["scheduled"] * 4  # looking cancels nothing


def test_a_reason_is_required_and_must_show_something(client, auth, organizer, equipped, bridge):
    [m] = book(organizer, bridge, at(monday_ahead(), 8))
    auth.login(organizer)
    token = csrf_of(client.get(f"/meetings/{m.id}/cancel").get_data(as_text=True))
    for reason in ("", "   ", "\u200b\u200b", "\u202e"):
        r = client.post(f"/meetings/{m.id}/cancel", data={"csrf_token": token, "scope": "this", "reason": reason})
        assert r.status_code == 400, repr(reason)
        assert 'data-testid="cancel-confirm"' in r.get_data(as_text=True)
    assert statuses([m]) == ["scheduled"]
    import unicodedata
    decomposed = "Trùng lịch họp Thành ủy"  # sent in NFD below
    r = client.post(f"/meetings/{m.id}/cancel", data={"csrf_token": token, "scope": "this",
                                                       "reason": unicodedata.normalize("NFD", decomposed)})
    assert r.status_code == 303
    [told] = db.session.scalars(select(Notice).where(Notice.kind == "cancelled")).all()
    assert told.reason == unicodedata.normalize("NFC", decomposed)
    page = client.get(f"/meetings/{m.id}").get_data(as_text=True)
    assert "Trùng lịch họp Thành ủy" in section(page, "cancellation")


def test_undo_restores_the_series_rebooks_endpoints_and_tells_the_units(client, auth, organizer, equipped,
                                                                        bridge, app):
    series = book(organizer, bridge, at(monday_ahead(), 8), rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=3")
    auth.login(organizer)
    token = csrf_of(client.get(f"/meetings/{series[0].id}/cancel?scope=all").get_data(as_text=True))
    r = client.post(f"/meetings/{series[0].id}/cancel", data={"csrf_token": token, "scope": "all",
                                                              "reason": "Hoãn theo chỉ đạo"})
    assert r.status_code == 303 and statuses(series) == ["cancelled"] * 3
    revisions = [db.session.get(Meeting, m.id).revision for m in series]
    page = client.get(f"/meetings/{series[2].id}").get_data(as_text=True)
    assert "Hoàn tác việc hủy (3 cuộc họp)" in section(page, "undo-form")
    r = client.post(f"/meetings/{series[2].id}/restore", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 303 and statuses(series) == ["scheduled"] * 3
    assert [db.session.get(Meeting, m.id).revision for m in series] == [v + 1 for v in revisions]
    active = db.session.scalars(select(EndpointBooking).where(
        EndpointBooking.meeting_id.in_([m.id for m in series]), EndpointBooking.active.is_(True))).all()
    assert len(active) == 3 * 2  # the organiser's and the ward's endpoint, each occurrence
    [back] = db.session.scalars(select(Notice).where(Notice.kind == "restored")).all()
    assert back.method == "REQUEST" and back.occurrences == 3 and back.series_id == series[0].series_id
    text = "\n".join(t for t, _ in body_lines(back, lambda s: s, app.config))
    assert "was undone" in text and subject_of(back, lambda s: s).startswith("No longer cancelled:")
    assert [a.action for a in db.session.scalars(select(AuditLog).where(
        AuditLog.entity_id == series[0].id, AuditLog.entity_type == "meeting").order_by(AuditLog.id))] == \
        ["create", "cancel", "restore"]
    page = client.get(f"/meetings/{series[0].id}").get_data(as_text=True)
    assert 'data-testid="undo-form"' not in page and 'data-testid="cancel-form"' in page


def test_undo_is_refused_with_the_clashes_when_the_slot_was_taken(client, auth, organizer, equipped, bridge):
    start = at(monday_ahead(), 8)
    [m] = book(organizer, bridge, start, participants=["legacy:00001"])
    cancel_meeting(m, organizer, utcnow(), reason="Đổi lịch")
    [taker] = book(organizer, bridge, start + timedelta(hours=1), participants=["legacy:00001"],
                   title="Họp khác đã lấy giờ")
    auth.login(organizer)
    page = client.get(f"/meetings/{m.id}").get_data(as_text=True)
    r = client.post(f"/meetings/{m.id}/restore", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 409
    body = r.get_data(as_text=True)
    assert "Họp khác đã lấy giờ" in section(body, "conflicts")
    assert "Không thể hoàn tác việc hủy: khung giờ đã bị" in section(body, "problems")
    assert statuses([m]) == ["cancelled"]
    assert not db.session.scalars(select(Notice).where(Notice.kind == "restored")).all()
    # in English for a user who chose English
    client.post("/lang/en", data={"csrf_token": csrf_of(page)})
    r = client.post(f"/meetings/{m.id}/restore", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 409 and "something took the slot meanwhile" in r.get_data(as_text=True)


def test_the_api_undoes_and_answers_409_with_the_conflicts(client, organizer, equipped, bridge, token_for):
    start = at(monday_ahead(), 8)
    [m] = book(organizer, bridge, start)
    headers = token_for(organizer)
    r = client.post(f"/api/v1/meetings/{m.id}/restore", headers=headers)
    assert r.status_code == 409 and r.json["error"]["code"] == "state_conflict"  # nothing to undo
    r = client.post(f"/api/v1/meetings/{m.id}/cancel", json={"scope": "this", "reason": "Đổi lịch"},
                    headers=headers)
    assert r.status_code == 200 and r.json["status"] == "cancelled"
    [taker] = book(organizer, bridge, start, title="Họp chen vào")
    r = client.post(f"/api/v1/meetings/{m.id}/restore", headers=headers)
    assert r.status_code == 409 and r.json["error"]["code"] == "conflict"
    assert {c["meeting_id"] for c in r.json["error"]["details"]["conflicts"]} == {taker.id}
    cancel_meeting(taker, organizer, utcnow(), reason="Nhường giờ")
    r = client.post(f"/api/v1/meetings/{m.id}/restore", headers=headers)
    assert r.status_code == 200 and r.json["status"] == "scheduled"


def test_only_what_was_cancelled_together_and_not_started_comes_back(organizer, equipped, bridge):
    series = book(organizer, bridge, at(monday_ahead(), 8), rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=4")
    now = utcnow()
    cancel_meeting(series[0], organizer, now, "this", reason="Nghỉ lễ")
    cancel_meeting(series[2], organizer, now, "following", reason="Kết thúc sớm")
    assert [m.id for m in restorable(series[3], now)] == [series[2].id, series[3].id]
    assert [m.id for m in restorable(series[0], now)] == [series[0].id]
    assert restorable(series[0], series[0].start_at) == []  # started: too late
    restore_meeting(series[3], organizer, now)
    assert statuses(series) == ["cancelled", "scheduled", "scheduled", "scheduled"]
    assert restorable(series[2], now) == []
