"""The pages a person opens cost the same whatever the rows behind them (issue #17).

Each test renders a page twice, with few and with many rows of one kind (invitees, meetings,
notices, endpoints and checks), and compares the SQL statements of the two renders: equal
counts mean one query per kind of row, not one per row. The page cache (`webapp.page_cache`)
is emptied before each counted request so that both are real renders; the cache itself is
tested at the end (kept, moved on by a write, 304).
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from models import ConnectivityCheck, Endpoint, Notice, db
from models.base import utcnow
from tests.fixtures.sql import statements as sent
from tests.fixtures.sql import statements_of
from webapp import page_cache
from webapp.meeting_pages import PARTICIPANTS_SHOWN


def statements(web_app, client, path: str, sql: list | None = None) -> tuple[int, str]:
    """The SQL statements of one render of `path`, and the page (the statements' text is
    appended to `sql`). A first request warms what is kept per data version for everyone (the
    unit list of the filters); then the page's own cache is emptied and the test's session
    expired: the request shares it, and rows the test made would otherwise answer lazy loads
    from memory and hide one query per row."""
    client.get(path)
    page_cache.cache_clear()
    db.session.expire_all()
    with web_app.app_context():
        engine = db.engine
    r, seen = statements_of(lambda: client.get(path), engine)
    if sql is not None:
        sql.extend(seen)
    assert r.status_code == 200, (path, r.status_code)
    return len(seen), r.get_data(as_text=True)


@pytest.fixture
def many_communes(hanoi, make_unit):
    """70 more communes under Ba Đình, each with a ready endpoint."""
    units = [make_unit("commune", f"{900 + i:05d}", hanoi["ba_dinh"], f"Phường Thử {i:02d}")
             for i in range(70)]
    for u in units:
        db.session.add(Endpoint(unit=u, name=f"Phòng {u.code}", kind="room_system", status="ready",
                                address=f"sip:{u.code}@hn.vn", last_check_at=utcnow(), last_check_passed=True))
    db.session.commit()
    return units


@pytest.fixture
def clerk(hanoi, make_user):
    return make_user("clerk", hanoi["phuc_xa"])


def test_meeting_page_lists_the_top_of_the_invitees_at_the_cost_of_a_few(
        client, auth, admin, clerk, hanoi, many_communes, make_meeting, web_app):
    start = utcnow() + timedelta(days=3)
    few = make_meeting(hanoi["city"], start, title="Ít đơn vị", participants=[hanoi["phuc_xa"], *many_communes[:3]])
    some = make_meeting(hanoi["city"], start, title="Khá nhiều đơn vị",
                        participants=[*many_communes[:PARTICIPANTS_SHOWN + 2], hanoi["phuc_xa"]])
    many = make_meeting(hanoi["city"], start + timedelta(days=1), title="Nhiều đơn vị",
                        participants=[*many_communes, hanoi["phuc_xa"]])
    for user in (admin, clerk):
        auth.login(user)
        client.get(f"/meetings/{few.id}")  # the session's CSRF secret, compiled templates
        tiny, _ = statements(web_app, client, f"/meetings/{few.id}")
        small, _ = statements(web_app, client, f"/meetings/{some.id}")
        large, page = statements(web_app, client, f"/meetings/{many.id}")
        assert large == small <= tiny + 1, user.role  # + counting the invitees when the table is cut
        begin = page.index('data-testid="participants"')
        table = page[begin:page.index("</table>", begin)]
        assert table.count("<tr>") == PARTICIPANTS_SHOWN + 1  # the heading row; the host's row has a class
        assert f"({len(many_communes) + 1})" in page  # the heading counts every invitee
        assert 'data-testid="participants-all"' in page
        if user is clerk:  # the reader's own unit comes first
            assert table.index("Phường Phúc Xá") < table.index("Phường Thử 00")
        auth.logout()
    auth.login(admin)
    _, everything = statements(web_app, client, f"/meetings/{many.id}?participants=all")
    assert all(f"Phường Thử {i:02d}" in everything for i in range(70))
    assert 'data-testid="participants-all"' not in everything
    _, short = statements(web_app, client, f"/meetings/{few.id}")
    assert 'data-testid="participants-all"' not in short


def test_a_clerk_sees_a_city_wide_meeting_without_loading_its_invitations(
        client, auth, clerk, hanoi, many_communes, make_meeting, web_app):
    start = utcnow() + timedelta(days=3)
    mine = make_meeting(hanoi["city"], start, participants=[*many_communes, hanoi["phuc_xa"]])
    other = make_meeting(hanoi["city"], start, participants=many_communes)
    auth.login(clerk)
    _count, page = statements(web_app, client, f"/meetings/{mine.id}")
    assert "Phường Phúc Xá" in page
    page_cache.cache_clear()
    assert client.get(f"/meetings/{other.id}").status_code == 404


def test_meetings_list_costs_the_same_for_few_and_many_meetings(
        client, auth, admin, clerk, hanoi, make_meeting, web_app):
    now = utcnow()
    make_meeting(hanoi["ba_dinh"], now - timedelta(days=30), title="Đã qua", participants=[hanoi["phuc_xa"]])
    make_meeting(hanoi["ba_dinh"], now + timedelta(days=1), title="Sắp tới A", participants=[hanoi["phuc_xa"]])
    small = {}
    for user in (admin, clerk):
        auth.login(user)
        client.get("/meetings")
        small[user.role], _ = statements(web_app, client, "/meetings")
        auth.logout()
    for i in range(30):
        make_meeting(hanoi["ba_dinh"] if i % 2 else hanoi["phuc_xa"], now + timedelta(days=2, hours=i),
                     title=f"Sắp tới {i:02d}", participants=[hanoi["phuc_xa"], hanoi["truc_bach"]])
    for user in (admin, clerk):
        auth.login(user)
        sql: list[str] = []
        large, page = statements(web_app, client, "/meetings", sql)
        assert large == small[user.role], user.role
        assert "Sắp tới 00" in page and "Sắp tới 29" in page and "Đã qua" not in page
        # upcoming only, bounded below on the start index; a clerk's unit as a correlated EXISTS
        listed = next(q for q in sql if "FROM meetings" in q and "LIMIT" in q)
        assert re.search(r"meetings\.start_at > ", listed), listed
        assert (user is admin) or "EXISTS" in listed, listed
        auth.logout()


def test_a_clerks_list_holds_what_the_unit_organises_or_is_invited_to(
        client, auth, clerk, hanoi, make_meeting):
    now = utcnow()
    make_meeting(hanoi["phuc_xa"], now + timedelta(days=1), title="Tổ chức")
    make_meeting(hanoi["ba_dinh"], now + timedelta(days=1), title="Được mời", participants=[hanoi["phuc_xa"]])
    make_meeting(hanoi["ba_dinh"], now + timedelta(days=1), title="Không liên quan",
                 participants=[hanoi["truc_bach"]])
    make_meeting(hanoi["ba_dinh"], now - timedelta(hours=1), hours=3, title="Đang họp",
                 participants=[hanoi["phuc_xa"]])  # started, not over: still listed
    auth.login(clerk)
    page = client.get("/meetings").get_data(as_text=True)
    assert "Tổ chức" in page and "Được mời" in page and "Đang họp" in page
    assert "Không liên quan" not in page


def test_notices_page_loads_the_meetings_with_the_notices(
        client, auth, clerk, hanoi, make_meeting, web_app):
    start = utcnow() + timedelta(days=5)

    def notices(n: int) -> None:
        for i in range(n):
            m = make_meeting(hanoi["ba_dinh"], start + timedelta(hours=i), title=f"Thông báo {i:02d}",
                             participants=[hanoi["phuc_xa"]])
            db.session.add(Notice(meeting=m, unit=hanoi["phuc_xa"], kind="booked", changes=[],
                                  created_at=utcnow()))
        db.session.commit()

    notices(2)
    auth.login(clerk)
    client.get("/notifications")
    small, _ = statements(web_app, client, "/notifications")
    notices(25)
    large, page = statements(web_app, client, "/notifications")
    assert large == small
    assert "Thông báo 00" in page and "Thông báo 24" in page


def test_unit_page_reads_every_endpoints_latest_checks_in_one_query(
        client, auth, admin, hanoi, web_app):
    unit = hanoi["phuc_xa"]
    now = utcnow()

    def endpoint(name: str, checks: int) -> Endpoint:
        e = Endpoint(unit=unit, name=name, kind="room_system", status="ready")
        db.session.add(e)
        for i in range(checks):
            db.session.add(ConnectivityCheck(endpoint=e, checked_at=now - timedelta(days=i), passed=i % 3 != 1,
                                             checked_by=admin, note=f"{name} lần {i:02d}"))
        db.session.commit()
        return e

    endpoint("Phòng A", 2)
    auth.login(admin)
    client.get(f"/units/{unit.ref}")
    small, _ = statements(web_app, client, f"/units/{unit.ref}")
    endpoint("Phòng B", 14)
    endpoint("Phòng C", 3)
    large, page = statements(web_app, client, f"/units/{unit.ref}")
    assert large == small
    # newest first, at most ten per endpoint
    assert "Phòng B lần 00" in page and "Phòng B lần 09" in page and "Phòng B lần 10" not in page
    assert page.index("Phòng B lần 00") < page.index("Phòng B lần 09")
    assert "Phòng A lần 01" in page and "Phòng C lần 02" in page
    assert page.count(admin.email) >= 2 + 10 + 3  # who checked, on every row


def test_a_page_is_kept_until_a_write_moves_the_data_version(
        client, auth, clerk, hanoi, make_meeting, web_app):
    m = make_meeting(hanoi["ba_dinh"], utcnow() + timedelta(days=2), title="Giao ban tuần",
                     participants=[hanoi["phuc_xa"]])
    auth.login(clerk)
    client.get("/my-unit")  # the session's CSRF secret
    page_cache.cache_clear()
    first = client.get("/my-unit")
    etag = first.headers["ETag"]
    hits = page_cache.cache_stats()["hits"]
    again = client.get("/my-unit")
    assert again.get_data() == first.get_data() and page_cache.cache_stats()["hits"] == hits + 1
    assert client.get("/my-unit", headers={"If-None-Match": etag}).status_code == 304
    m.title = "Giao ban tuần (đổi giờ)"
    db.session.commit()
    changed = client.get("/my-unit", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "Giao ban tuần (đổi giờ)" in changed.get_data(as_text=True)


def test_the_kept_home_follows_a_renewed_feed_address(client, auth, clerk):
    auth.login(clerk)
    before = client.get("/my-unit").get_data(as_text=True)
    token = re.search(r"/feeds/([^\"<]+)\.ics", before).group(1)
    from models.feeds import renew_unit_feed
    renew_unit_feed(clerk.unit, clerk)
    after = client.get("/my-unit").get_data(as_text=True)
    assert token not in after and re.search(r"/feeds/([^\"<]+)\.ics", after)


def test_the_kept_notices_page_follows_a_new_notice(client, auth, clerk, hanoi, make_meeting):
    m = make_meeting(hanoi["ba_dinh"], utcnow() + timedelta(days=2), title="Họp mới",
                     participants=[hanoi["phuc_xa"]])
    auth.login(clerk)
    assert "Họp mới" not in client.get("/notifications").get_data(as_text=True)
    db.session.add(Notice(meeting=m, unit=hanoi["phuc_xa"], kind="booked", changes=[], created_at=utcnow()))
    db.session.commit()
    assert "Họp mới" in client.get("/notifications").get_data(as_text=True)


def test_the_kept_meeting_page_follows_its_programme(client, auth, organizer, hanoi, make_meeting):
    from scheduler.briefing import set_agenda

    m = make_meeting(hanoi["city"], utcnow() + timedelta(days=2), participants=[hanoi["phuc_xa"]])
    auth.login(organizer)
    client.get(f"/meetings/{m.id}")
    set_agenda(m, [{"title": "Báo cáo tình hình tháng"}], organizer, utcnow())
    assert "Báo cáo tình hình tháng" in client.get(f"/meetings/{m.id}").get_data(as_text=True)


def test_the_menus_unread_count_is_one_statement(web_app, clerk, hanoi, make_meeting):
    from webapp.notices import unread_count

    m = make_meeting(hanoi["ba_dinh"], utcnow() + timedelta(days=2), participants=[hanoi["phuc_xa"]])
    db.session.add(Notice(meeting=m, unit=hanoi["phuc_xa"], kind="booked", changes=[], created_at=utcnow()))
    db.session.commit()
    assert clerk.unit_id is not None  # loaded before counting
    with web_app.test_request_context("/"), sent(db.engine) as seen:
        assert unread_count(clerk) == 1
    counting = [q for q in seen if "notices" in q or "notifications" in q]
    assert len(counting) == 1 and "FROM notices" in counting[0] and "FROM notifications" in counting[0], seen


def test_a_kept_page_reads_the_user_the_menu_count_and_the_data_version_in_one_statement(
        client, auth, clerk, hanoi, make_meeting, web_app):
    """#17: what every page asks first (who reads, the unread count, the data version of its
    keys) is one round trip; a kept clerk home then costs that and its feed address only."""
    m = make_meeting(hanoi["ba_dinh"], utcnow() + timedelta(days=2), participants=[hanoi["phuc_xa"]])
    db.session.add(Notice(meeting=m, unit=hanoi["phuc_xa"], kind="booked", changes=[], created_at=utcnow()))
    db.session.commit()
    auth.login(clerk)
    client.get("/my-unit")
    first = client.get("/my-unit")  # kept now
    with web_app.app_context():
        engine = db.engine
    r, seen = statements_of(lambda: client.get("/my-unit"), engine)
    assert r.status_code == 200 and r.get_data() == first.get_data()
    assert 'data-testid="unread-count">1<' in r.get_data(as_text=True)
    users = [q for q in seen if "FROM users" in q]
    assert len(users) == 1, seen
    assert "FROM notices" in users[0] and "FROM notifications" in users[0] and "data_version" in users[0]
    assert not [q for q in seen if "FROM data_version" in q and "FROM users" not in q], seen
    queries = [q for q in seen if q.strip().upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]
    assert len(queries) == 2, seen  # the user's row with the rest, the unit's feed token
