"""Bridges run from the browser and the CLI; sessions that end server-side."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from models import Bridge, db
from models.audit import AuditLog
from models.errors import ValidationFailed
from scheduler.booking import book_meeting
from scheduler.bridges import bridge_load
from webapp.cli_bridges import bridges as bridges_cli


def test_admin_adds_edits_and_retires_a_bridge(client, auth, make_user):
    admin = make_user("admin")
    auth.login(admin)
    csrf = auth.csrf("/admin/bridges/new")
    response = client.post("/admin/bridges/new", data={"name": "  MCU Sở TT&TT ", "capacity": "40",
                                                        "dial_prefix": "8801", "notes": "Phòng máy tầng 3",
                                                        "csrf_token": csrf})
    assert response.status_code == 302
    bridge = db.session.scalar(select(Bridge).where(Bridge.name == "MCU Sở TT&TT"))
    assert (bridge.capacity, bridge.dial_prefix, bridge.notes) == (40, "8801", "Phòng máy tầng 3")
    page = client.get("/admin/bridges").get_data(as_text=True)
    assert "MCU Sở TT&amp;TT" in page
    csrf = auth.csrf(f"/admin/bridges/{bridge.id}/edit")
    client.post(f"/admin/bridges/{bridge.id}/edit", data={"name": "MCU Sở", "capacity": "60", "csrf_token": csrf})
    db.session.refresh(bridge)
    assert (bridge.name, bridge.capacity) == ("MCU Sở", 60)
    client.post(f"/admin/bridges/{bridge.id}/retire", data={"csrf_token": csrf})
    db.session.refresh(bridge)
    assert bridge.retired_at is not None
    actions = [r.action for r in db.session.scalars(
        select(AuditLog).where(AuditLog.entity_type == "bridge").order_by(AuditLog.id))]
    assert actions == ["create", "update", "retire"]


def test_duplicate_name_and_bad_capacity_are_refused_in_vietnamese(client, auth, make_user, bridge):
    auth.login(make_user("admin"))
    csrf = auth.csrf("/admin/bridges/new")
    response = client.post("/admin/bridges/new", data={"name": bridge.name, "capacity": "5", "csrf_token": csrf})
    assert response.status_code == 400
    assert "Đã có cầu truyền hình khác mang tên này." in response.get_data(as_text=True)
    response = client.post("/admin/bridges/new", data={"name": "X", "capacity": "0", "csrf_token": csrf})
    assert response.status_code == 400
    assert db.session.scalar(select(Bridge).where(Bridge.name == "X")) is None


def test_a_retired_bridge_takes_no_new_booking(hanoi, equipped, bridge, make_user, client, auth):
    admin = make_user("admin")
    auth.login(admin)
    client.post(f"/admin/bridges/{bridge.id}/retire", data={"csrf_token": auth.csrf("/admin/bridges")})
    start = datetime(2031, 3, 3, 2, tzinfo=UTC)
    with pytest.raises(ValidationFailed) as refused:
        book_meeting({"title": "Giao ban", "category": "giao_ban", "organizer": "legacy:001", "mode": "online",
                      "start": start, "end": start + timedelta(hours=1), "participants": ["legacy:00001"],
                      "bridge": bridge.id}, admin, datetime(2031, 1, 1, tzinfo=UTC))
    assert "bridge" in refused.value.details


def test_the_load_page_shows_the_peak_per_hour(hanoi, equipped, bridge, make_user, client, auth):
    admin = make_user("admin")
    start = datetime(2031, 3, 3, 2, tzinfo=UTC)  # 09:00 in Hanoi
    book_meeting({"title": "Giao ban", "category": "giao_ban", "organizer": "legacy:001", "mode": "online",
                  "start": start, "end": start + timedelta(minutes=90),
                  "participants": ["legacy:00001", "legacy:002"], "bridge": bridge.id},
                 admin, datetime(2031, 1, 1, tzinfo=UTC))
    load = bridge_load(bridge, datetime(2031, 3, 3).date())
    assert [h.peak for h in load[0]][8:12] == [0, 3, 3, 0]
    assert load[0][9].free == bridge.capacity - 3
    auth.login(admin)
    page = client.get(f"/admin/bridges/{bridge.id}?date=2031-03-03").get_data(as_text=True)
    assert "Cao nhất: 3 trên 100 cổng." in page
    week = client.get(f"/admin/bridges/{bridge.id}?date=2031-03-05&view=week")
    assert week.status_code == 200 and week.get_data(as_text=True).count("<tr><th class=\"text-nowrap\">") == 7
    assert client.get(f"/admin/bridges/{bridge.id}?date=0001-01-01").status_code == 200


def test_an_organiser_reads_but_does_not_manage(client, auth, make_user, hanoi, bridge):
    auth.login(make_user("organizer", hanoi["ba_dinh"]))
    assert client.get("/admin/bridges").status_code == 200
    assert client.get("/admin/bridges/new").status_code == 403
    assert client.post(f"/admin/bridges/{bridge.id}/retire",
                       data={"csrf_token": auth.csrf("/admin/bridges")}).status_code == 403


def test_cli_adds_a_bridge(app, runner):
    result = runner.invoke(bridges_cli, ["add", "MCU Quận", "--capacity", "12"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Bridge.capacity).where(Bridge.name == "MCU Quận")) == 12
    again = runner.invoke(bridges_cli, ["add", "MCU Quận", "--capacity", "12"])
    assert again.exit_code != 0


def test_sign_out_ends_the_copied_session(web_app, make_user):
    user = make_user("viewer")
    first = web_app.test_client()
    from tests.fixtures.web import AuthActions
    AuthActions(first).login(user)
    cookie = first.get_cookie("session").value
    copy = web_app.test_client()
    copy.set_cookie("session", cookie)
    assert copy.get("/units").status_code == 200
    AuthActions(first).logout()
    assert copy.get("/units").status_code == 302


def test_a_disabled_account_is_signed_out_on_the_next_request(client, auth, make_user, token_for):
    user = make_user("viewer")
    headers = token_for(user)
    auth.login(user)
    assert client.get("/units").status_code == 200
    assert client.get("/api/v1/bridges", headers=headers).status_code == 200
    user.is_enabled = False
    db.session.commit()
    assert client.get("/units").status_code == 302
    assert client.get("/api/v1/bridges", headers=headers).status_code == 401
