"""The notices page (what changed, in words; read and unread; the count in the bar), my settings,
a unit's contact addresses and the admins' page of parked e-mails."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from models import Delivery, Notice, Unit, User, db
from models.base import utcnow
from scheduler.booking import book_meeting
from scheduler.changes import change_meeting
from tests.booking_data import local, meeting_data


def _book(bridge, organizer, now):
    data = meeting_data(bridge=bridge.id, participants=["legacy:00001"])
    m = book_meeting(data, organizer, now).meetings[0]
    change_meeting(m, {"start": local(2019, 3, 4, 14, 0), "end": local(2019, 3, 4, 16, 0)}, organizer, now)
    return m


def test_a_clerk_sees_the_invitation_and_the_move_in_words(client, auth, equipped, bridge, organizer, now,
                                                            hanoi, make_user):
    clerk = make_user("clerk", hanoi["phuc_xa"])
    m = _book(bridge, organizer, now)
    auth.login(clerk)
    page = client.get("/notifications").get_data(as_text=True)
    assert "Giấy mời: Giao ban trực tuyến" in page and "Thay đổi: Giao ban trực tuyến" in page
    assert "08:00–10:00 ngày 04/03/2019" in page and "14:00–16:00 ngày 04/03/2019" in page
    opens = re.findall(r'href="(/notifications/notices/\d+/open)"', page)
    assert len(opens) == 2  # each notice links to its meeting through the route that reads it
    assert client.get(opens[0]).headers["Location"].endswith(f"/meetings/{m.id}")
    db.session.expire_all()
    for notice in db.session.scalars(select(Notice).where(Notice.unit_id == hanoi["phuc_xa"].id)):
        notice.read_at = None  # opening read one: start the count again from two unread
    db.session.commit()
    page = client.get("/notifications").get_data(as_text=True)
    assert re.search(r'data-testid="unread-count">2<', page)
    notice = db.session.scalars(select(Notice).where(Notice.unit_id == hanoi["phuc_xa"].id)).first()
    client.post(f"/notifications/notices/{notice.id}/read", data={"csrf_token": auth.csrf("/notifications")})
    page = client.get("/notifications").get_data(as_text=True)
    assert re.search(r'data-testid="unread-count">1<', page)
    client.post("/notifications/read", data={"csrf_token": auth.csrf("/notifications")})
    assert 'data-testid="unread-count"' not in client.get("/notifications").get_data(as_text=True)


def test_another_units_notice_cannot_be_marked(client, auth, equipped, bridge, organizer, now, hanoi, make_user):
    _book(bridge, organizer, now)
    auth.login(make_user("clerk", hanoi["truc_bach"]))
    notice = db.session.scalars(select(Notice)).first()
    response = client.post(f"/notifications/notices/{notice.id}/read",
                           data={"csrf_token": auth.csrf("/notifications")})
    assert response.status_code == 404


def test_a_user_turns_email_off_and_keeps_the_in_app_notice(client, auth, equipped, bridge, organizer, now,
                                                             hanoi, make_user):
    clerk = make_user("clerk", hanoi["phuc_xa"], email="vanthu.px@hanoi.test")
    auth.login(clerk)
    client.post("/settings", data={"csrf_token": auth.csrf("/settings")})  # the box unticked
    assert db.session.get(User, clerk.id).email_notices is False
    db.session.expire_all()
    _book(bridge, organizer, now)
    rows = db.session.scalars(select(Delivery).where(Delivery.recipient == "vanthu.px@hanoi.test")).all()
    assert rows == []
    assert db.session.scalars(select(Delivery).where(Delivery.channel == "in_app")).all()


def test_an_admin_sets_a_units_contact_addresses(client, auth, hanoi, make_user):
    admin = make_user("admin")
    auth.login(admin)
    assert "/units/legacy:00001/contacts" in client.get("/units/legacy:00001").get_data(as_text=True)
    token = auth.csrf("/units/legacy:00001/contacts")
    bad = client.post("/units/legacy:00001/contacts", data={"csrf_token": token, "contact_emails": "không hợp lệ"})
    assert bad.status_code == 422
    ok = client.post("/units/legacy:00001/contacts",
                     data={"csrf_token": token, "contact_emails": "ubnd.px@hanoi.test\nvp.px@hanoi.test"})
    assert ok.status_code == 303
    db.session.expire_all()
    assert db.session.get(Unit, hanoi["phuc_xa"].id).contact_emails == "ubnd.px@hanoi.test\nvp.px@hanoi.test"


def test_admins_see_parked_emails_with_their_error(client, auth, equipped, bridge, organizer, now, hanoi,
                                                   make_user):
    make_user("clerk", hanoi["phuc_xa"], email="vanthu.px@hanoi.test")
    _book(bridge, organizer, now)
    row = db.session.scalars(select(Delivery).where(Delivery.channel == "email")).first()
    row.failed_at, row.attempts, row.last_error = utcnow() - timedelta(minutes=1), 6, "550 5.1.1 No such mailbox"
    db.session.commit()
    auth.login(make_user("admin"))
    page = client.get("/admin/deliveries").get_data(as_text=True)
    assert "550 5.1.1 No such mailbox" in page and "vanthu.px@hanoi.test" in page


def test_cancelling_from_the_page_tells_the_units_the_reason(client, auth, equipped, bridge, hanoi, make_user):
    from models import Meeting
    org = make_user("organizer", hanoi["city"])
    start = (utcnow() + timedelta(days=5)).replace(hour=1, minute=0, second=0, microsecond=0)
    m = book_meeting(meeting_data(bridge=bridge.id, start=start, end=start + timedelta(hours=1)), org,
                     utcnow()).meetings[0]
    auth.login(org)
    token = auth.csrf(f"/meetings/{m.id}")
    response = client.post(f"/meetings/{m.id}/cancel", data={"csrf_token": token, "scope": "this",
                                                           "reason": "Trùng lịch họp Thành uỷ"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Meeting, m.id).status == "cancelled"
    [told] = db.session.scalars(select(Notice).where(Notice.kind == "cancelled")).all()
    assert told.reason == "Trùng lịch họp Thành uỷ" and told.method == "CANCEL"


def test_opening_a_notice_reads_it_and_shows_its_meeting(client, auth, equipped, bridge, organizer, now, hanoi,
                                                         make_user):
    m = _book(bridge, organizer, now)
    notice = db.session.scalars(select(Notice).where(Notice.unit_id == hanoi["phuc_xa"].id)).first()
    auth.login(make_user("clerk", hanoi["truc_bach"]))
    assert client.get(f"/notifications/notices/{notice.id}/open").status_code == 404  # not theirs
    auth.login(make_user("clerk", hanoi["phuc_xa"]))
    page = client.get("/notifications").get_data(as_text=True)
    assert f'href="/notifications/notices/{notice.id}/open"' in page
    response = client.get(f"/notifications/notices/{notice.id}/open")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/meetings/{m.id}")
    db.session.expire_all()
    assert db.session.get(Notice, notice.id).read_at is not None
    assert re.search(r'data-testid="unread-count">1<', client.get("/notifications").get_data(as_text=True))
