"""The audit trail page: every write verb leaves a row; admins read all of them, others the
actions of their scope's users; filters by actor, unit, action, kind and dd/mm/yyyy days;
paged; exported as CSV with the same filters. On both engines."""
import csv
import io
from datetime import datetime, timedelta

from sqlalchemy import select

from models import AuditLog, db
from models.base import LOCAL, utcnow
from models.feeds import renew_user_feed
from scheduler.changes import cancel_meeting
from tests.webapp.test_meeting_pages import at, book, csrf_of, monday_ahead, section


def book_for(user, bridge, start, unit_ref, **extra):
    from scheduler.booking import book_meeting
    from tests.booking_data import meeting_data

    extra.setdefault("bridge", bridge.id if extra.get("mode", "online") != "in_person" else None)
    data = meeting_data(start=start, end=start + timedelta(hours=2), organizer=unit_ref, **extra)
    return book_meeting(data, user, utcnow(), 30).meetings


def rows_of(page: str) -> str:
    return section(page, "audit-rows")


def test_the_write_verbs_of_the_office_leave_audit_rows(client, auth, hanoi, make_user, equipped, bridge):
    admin = make_user("admin")
    organizer = make_user("organizer", hanoi["city"])
    [m] = book(organizer, bridge, at(monday_ahead(), 8))
    cancel_meeting(m, organizer, utcnow(), reason="Đổi lịch")
    renew_user_feed(organizer)
    auth.login(admin)
    token = csrf_of(client.get("/units/legacy:00001/contacts").get_data(as_text=True))
    assert client.post("/units/legacy:00001/contacts", data={"csrf_token": token,
                                                             "contact_emails": "ubnd.phucxa@hanoi.test"}
                       ).status_code == 303
    actions = {(r.action, r.entity_type) for r in db.session.scalars(select(AuditLog))}
    assert {("create", "meeting"), ("cancel", "meeting"), ("renew_feed", "user"),
            ("contacts", "unit")} <= actions


def test_admins_filter_page_and_export(client, auth, hanoi, make_user, equipped, bridge):
    admin = make_user("admin", email="quantri@hanoi.test")
    city = make_user("organizer", hanoi["city"], email="vanphong@hanoi.test")
    ba_dinh = make_user("organizer", hanoi["ba_dinh"], email="badinh@hanoi.test")
    mine = book(city, bridge, at(monday_ahead(), 8), rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=3")
    theirs = book_for(ba_dinh, bridge, at(monday_ahead(), 14), "legacy:001", title="Giao ban quận Ba Đình")
    cancel_meeting(theirs[0], ba_dinh, utcnow(), reason="Trùng lịch")
    # an old row, a year ago: outside a date range of this week
    db.session.add(AuditLog(at=utcnow() - timedelta(days=365), actor_id=city.id, action="update",
                            entity_type="meeting", entity_id=mine[0].id, before={"title": "Cũ"},
                            after={"title": "Mới"}))
    db.session.commit()
    auth.login(admin)
    everything = rows_of(client.get("/audit").get_data(as_text=True))
    assert everything.count('<td class="text-nowrap">') == 3 + 1 + 1 + 1  # 3 booked, 1 booked, 1 cancelled, the old one
    assert "hủy" in everything and "tạo mới" in everything  # action labels from the catalog
    assert "vanphong@hanoi.test" in everything and "Tiêu đề: <del>Cũ</del> → Mới" in everything
    page = client.get("/audit?action=cancel").get_data(as_text=True)
    assert rows_of(page).count('<td class="text-nowrap">') == 1 and "Trùng lịch" in rows_of(page)
    assert rows_of(client.get("/audit?actor=BADINH").get_data(as_text=True)).count('<td class="text-nowrap">') == 2
    assert rows_of(client.get("/audit?unit=legacy:001").get_data(as_text=True)).count('<td class="text-nowrap">') == 2
    today = utcnow().astimezone(LOCAL)
    week = f"from={today - timedelta(days=3):%d/%m/%Y}&to={today:%d/%m/%Y}"
    assert rows_of(client.get(f"/audit?{week}").get_data(as_text=True)).count('<td class="text-nowrap">') == 5
    old = datetime.now(LOCAL) - timedelta(days=365)
    assert rows_of(client.get(f"/audit?from={old:%d/%m/%Y}&to={old:%d/%m/%Y}").get_data(as_text=True)) \
        .count('<td class="text-nowrap">') == 1
    bad = client.get("/audit?from=2026-12-01")
    assert bad.status_code == 400 and "dd/mm/yyyy" in bad.get_data(as_text=True)
    assert client.get("/audit?unit=nope").status_code == 400
    exported = client.get(f"/audit.csv?kind=meeting&{week}")
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert table[0][0] == "Thời gian" or len(table[0]) == 6
    assert len(table) == 1 + 5 and {r[3] for r in table[1:]} == {"Cuộc họp"}


def test_pages_of_fifty(client, auth, make_user):
    admin = make_user("admin")
    db.session.add_all([AuditLog(at=utcnow() - timedelta(minutes=i), actor_id=admin.id, action="update",
                                 entity_type="bridge", entity_id=i, before={}, after={}) for i in range(55)])
    db.session.commit()
    auth.login(admin)
    first = client.get("/audit?kind=bridge").get_data(as_text=True)
    assert rows_of(first).count('<td class="text-nowrap">') == 50 and 'data-testid="audit-next"' in first
    second = client.get("/audit?kind=bridge&page=2").get_data(as_text=True)
    assert rows_of(second).count('<td class="text-nowrap">') == 5 and 'data-testid="audit-next"' not in second
    assert client.get("/audit?page=abc").status_code == 200


def test_others_read_only_their_scope(client, auth, hanoi, make_user, equipped, bridge):
    city = make_user("organizer", hanoi["city"], email="vanphong@hanoi.test")
    hoan_kiem = make_user("organizer", hanoi["hoan_kiem"], email="hoankiem@hanoi.test")
    book(city, bridge, at(monday_ahead(), 8))
    book_for(hoan_kiem, bridge, at(monday_ahead(), 14), hanoi["hoan_kiem"].ref,
             participants=[hanoi["dong_xuan"].ref], mode="in_person")
    auth.login(hoan_kiem)
    seen = rows_of(client.get("/audit").get_data(as_text=True))
    assert "hoankiem@hanoi.test" in seen and "vanphong@hanoi.test" not in seen
    csv_text = client.get("/audit.csv").get_data(as_text=True)
    assert "hoankiem@hanoi.test" in csv_text and "vanphong@hanoi.test" not in csv_text
