"""Calendar feeds over HTTP: secret URLs, validators, 304s, pages to copy and renew."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from icalendar import Calendar

from models import db
from models.base import utcnow
from models.feeds import feed_token_for_unit, feed_token_for_user
from scheduler import ical
from tests.fixtures.sql import statements_of
from tests.webapp.test_ical import make_series, next_monday
from webapp import calendars


def feed_path(token) -> str:
    return f"/feeds/{token.token}.ics"


def uids(response) -> set[str]:
    return {str(e["UID"]) for e in Calendar.from_ical(response.data).walk("VEVENT")}


@pytest.fixture
def unit_feed(hanoi, make_meeting):
    meeting = make_meeting(hanoi["ba_dinh"], utcnow() + timedelta(days=2),
                           participants=[hanoi["phuc_xa"], hanoi["truc_bach"]])
    return feed_token_for_unit(hanoi["phuc_xa"]), meeting


def test_feed_is_served_as_text_calendar(client, unit_feed):
    token, meeting = unit_feed
    response = client.get(feed_path(token))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert uids(response) == {meeting.uid}
    assert response.headers["ETag"].startswith('"') and not response.headers["ETag"].startswith("W/")
    assert response.headers["Last-Modified"]
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("token", ["x", "A" * 32, "A" * 65, "0" * 43, "%00", "%00" * 20, "é" * 20])
def test_wrong_token_is_a_plain_404(client, unit_feed, token):
    response = client.get(f"/feeds/{token}.ics")
    assert response.status_code == 404
    assert response.data in (b"Not Found\n", client.get("/feeds/nothing.ics").data)


def test_etag_stable_without_change_and_different_after_any(client, unit_feed):
    token, meeting = unit_feed
    first, second = client.get(feed_path(token)), client.get(feed_path(token))
    assert first.headers["ETag"] == second.headers["ETag"] and first.data == second.data
    seen = {first.headers["ETag"]}
    changes = [lambda: setattr(meeting, "revision", meeting.revision + 1),
               lambda: setattr(meeting.invitations[0], "response", "confirmed"),
               lambda: setattr(meeting, "updated_at", utcnow() + timedelta(seconds=5))]
    for change in changes:
        change()
        db.session.commit()
        seen.add(client.get(feed_path(token)).headers["ETag"])
    assert len(seen) == 4


def test_304_on_if_none_match_and_if_modified_since_without_rendering(client, unit_feed,
                                                                      monkeypatch):
    token, _ = unit_feed
    fresh = client.get(feed_path(token))

    def forbidden(*args, **kwargs):
        raise AssertionError("the 304 path rendered the feed")
    monkeypatch.setattr(calendars.ical, "calendar_bytes", forbidden)
    monkeypatch.setattr(calendars, "load_feed_meetings", forbidden)
    for headers in ({"If-None-Match": fresh.headers["ETag"]},
                    {"If-None-Match": f'"other", {fresh.headers["ETag"]}'},
                    {"If-Modified-Since": fresh.headers["Last-Modified"]}):
        response = client.get(feed_path(token), headers=headers)
        assert response.status_code == 304, headers
        assert response.data == b"" and response.headers["ETag"] == fresh.headers["ETag"]
    monkeypatch.undo()
    stale = client.get(feed_path(token), headers={"If-None-Match": '"stale"',
                                                  "If-Modified-Since": fresh.headers["Last-Modified"]})
    assert stale.status_code == 200  # If-None-Match decides when both are sent


def _statements(fn):
    return statements_of(fn)  # every connection, old ones too


def test_a_repeated_304_reads_no_meeting_whatever_the_feed_holds(client, hanoi, make_meeting):
    """While nothing is written, a conditional GET is answered from the kept validators: the
    token with its unit and the data version, the same two reads for 3 meetings as for 30, and
    none of them reads `meetings` or `invitations`. A write makes the next one look again."""
    unit, start = hanoi["phuc_xa"], utcnow().replace(microsecond=0) + timedelta(days=1)
    path = feed_path(feed_token_for_unit(unit))
    counts = []
    for total in (3, 30):
        while len(db.session.scalars(db.select(calendars.Meeting)).all()) < total:
            make_meeting(hanoi["ba_dinh"], start + timedelta(hours=30 * total), participants=[unit])
        etag = client.get(path).headers["ETag"]
        client.get(path, headers={"If-None-Match": etag})
        response, seen = _statements(lambda e=etag: client.get(path, headers={"If-None-Match": e}))
        assert response.status_code == 304
        assert not [s for s in seen if "meetings" in s or "invitations" in s], seen
        counts.append([s.split()[0] for s in seen])
    assert counts[0] == counts[1] and counts[0].count("SELECT") <= 2, counts  # token+unit, version
    meeting = db.session.scalars(db.select(calendars.Meeting)).first()
    meeting.title = "Đổi tên"
    meeting.revision += 1
    db.session.commit()
    changed, seen = _statements(lambda: client.get(path, headers={"If-None-Match": etag}))
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert [s for s in seen if "meetings" in s], seen


def test_renew_and_revoke_stop_the_old_url_at_once(client, auth, hanoi, make_user, unit_feed):
    token, _ = unit_feed
    old = feed_path(token)
    assert client.get(old).status_code == 200
    clerk = make_user("clerk", hanoi["phuc_xa"])
    auth.login(clerk)
    page = client.get("/units/legacy:00001/feed")
    assert page.status_code == 200 and old in page.get_data(as_text=True)
    response = client.post("/units/legacy:00001/feed/renew",
                           data={"csrf_token": auth.csrf("/units/legacy:00001/feed"), "confirm": "yes"})
    assert response.status_code == 302
    assert client.get(old).status_code == 404
    new = feed_token_for_unit(hanoi["phuc_xa"])
    assert new.token != token.token and client.get(feed_path(new)).status_code == 200
    assert feed_path(new) in client.get("/units/legacy:00001/feed").get_data(as_text=True)
    new.revoked_at = utcnow()
    db.session.commit()
    assert client.get(feed_path(new)).status_code == 404


@pytest.mark.parametrize("next_, lands", [("/units/legacy:00001", "/units/legacy:00001"),
                                          ("//evil.example/x", "/units/legacy:00001/feed"),
                                          ("https://evil.example/x", "/units/legacy:00001/feed")])
def test_renew_from_the_unit_page_returns_there(client, auth, hanoi, make_user, next_, lands):
    auth.login(make_user("clerk", hanoi["phuc_xa"]))
    response = client.post("/units/legacy:00001/feed/renew",
                           data={"csrf_token": auth.csrf("/me/feed"), "next": next_, "confirm": "yes"})
    assert response.status_code == 302 and response.headers["Location"] == lands


def test_unit_feed_page_is_for_its_scope_only(client, auth, hanoi, make_user, unit_feed):
    auth.login(make_user("clerk", hanoi["phuc_xa"]))
    assert client.get("/units/legacy:00004/feed").status_code == 404
    assert client.post("/units/legacy:00004/feed/renew",
                       data={"csrf_token": auth.csrf("/me/feed")}).status_code == 404


def test_user_feed_page_renews(client, auth, hanoi, make_user, make_meeting):
    organizer = make_user("organizer", hanoi["ba_dinh"])
    auth.login(organizer)
    page = client.get("/me/feed").get_data(as_text=True)
    old = re.search(r'value="(http[^"]+\.ics)"', page).group(1)
    path = old.split("localhost", 1)[1]
    assert client.get(path).status_code == 200
    client.post("/me/feed/renew", data={"csrf_token": auth.csrf("/me/feed"), "confirm": "yes"})
    assert client.get(path).status_code == 404
    assert feed_token_for_user(organizer).token not in old


@pytest.mark.parametrize("role, unit, sees", [
    ("clerk", "phuc_xa", {"ba_dinh_to_phuc_xa", "series"}),
    ("organizer", "ba_dinh", {"ba_dinh_to_phuc_xa", "hoan_kiem_to_truc_bach", "series"}),
    ("viewer", "hoan_kiem", {"hoan_kiem_to_truc_bach", "hoan_kiem_alone"}),
    ("admin", None, {"ba_dinh_to_phuc_xa", "hoan_kiem_to_truc_bach", "hoan_kiem_alone", "series"}),
])
def test_user_feed_holds_the_meetings_of_their_scope(client, hanoi, make_user, make_meeting,
                                                     role, unit, sees):
    soon = utcnow() + timedelta(days=3)
    made = {"ba_dinh_to_phuc_xa": make_meeting(hanoi["ba_dinh"], soon, participants=[hanoi["phuc_xa"]]),
            "hoan_kiem_to_truc_bach": make_meeting(hanoi["hoan_kiem"], soon,
                                                   participants=[hanoi["truc_bach"]]),
            "hoan_kiem_alone": make_meeting(hanoi["hoan_kiem"], soon, participants=[hanoi["hang_ma"]])}
    series, _ = make_series(make_meeting, hanoi["phuc_xa"], next_monday(), "FREQ=WEEKLY;COUNT=3")
    want = {made[k].uid for k in sees - {"series"}} | ({series.uid} if "series" in sees else set())
    user = make_user(role, hanoi[unit] if unit else None)
    assert uids(client.get(feed_path(feed_token_for_user(user)))) == want


def test_disabled_users_feed_is_gone(client, hanoi, make_user):
    user = make_user("organizer", hanoi["ba_dinh"])
    token = feed_token_for_user(user)
    user.is_enabled = False
    db.session.commit()
    assert client.get(feed_path(token)).status_code == 404


def test_meeting_ics_for_those_who_may_see_it(client, auth, hanoi, make_user, make_meeting):
    meeting = make_meeting(hanoi["ba_dinh"], utcnow() + timedelta(days=1), participants=[hanoi["phuc_xa"]])
    assert client.get(f"/meetings/{meeting.id}.ics").status_code in (302, 401)
    auth.login(make_user("clerk", hanoi["phuc_tan"]))
    assert client.get(f"/meetings/{meeting.id}.ics").status_code == 404
    auth.logout()
    auth.login(make_user("clerk", hanoi["phuc_xa"]))
    response = client.get(f"/meetings/{meeting.id}.ics")
    assert response.status_code == 200 and uids(response) == {meeting.uid}
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"


def test_a_years_unit_feed_is_served_from_the_warm_cache(client, hanoi, make_meeting):
    """About 150 meetings of a year, some of them series; the cache warm, as in service: a second
    request builds no VEVENT again (what makes the SPEC's < 50 ms hold; the time itself is
    measured by `python -m bench.feeds`, docs/PERFORMANCE.md, never by a timed test)."""
    unit, start = hanoi["phuc_xa"], utcnow().replace(microsecond=0) - timedelta(days=85)
    for i in range(120):
        make_meeting(hanoi["ba_dinh"], start + timedelta(days=3 * i, hours=i % 5),
                     participants=[unit, hanoi["truc_bach"], hanoi["vinh_phuc"]], title=f"Họp số {i}")
    for n in range(3):
        make_series(make_meeting, hanoi["ba_dinh"], next_monday(8 + n), "FREQ=WEEKLY;COUNT=10",
                    participants=[unit])
    path = feed_path(feed_token_for_unit(unit))
    ical.cache_clear()
    first = client.get(path)
    assert first.status_code == 200
    built = ical.cache_stats()["misses"]
    assert built >= 123
    for _ in range(3):
        response = client.get(path)
        assert response.status_code == 200 and response.data == first.data
    assert len(uids(response)) == 123
    assert ical.cache_stats()["misses"] == built  # nothing serialised again


@pytest.mark.parametrize("page, renew", [("/units/legacy:00001/feed", "/units/legacy:00001/feed/renew"),
                                         ("/me/feed", "/me/feed/renew")])
def test_renewing_asks_first_and_says_subscribed_calendars_break(client, auth, hanoi, make_user, unit_feed,
                                                                 page, renew):
    auth.login(make_user("clerk", hanoi["phuc_xa"]))
    before = client.get(page).get_data(as_text=True)
    old = re.search(r'value="(http[^"]+\.ics)"', before).group(1)
    assert f'method="get" action="{renew}"' in before  # the button opens the confirmation
    confirm = client.get(renew)
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and 'data-testid="renew-confirm"' in text
    assert "mọi lịch đang đăng ký theo địa chỉ này" in text and old in text
    # a POST without the confirmation shows the same page and renews nothing
    again = client.post(renew, data={"csrf_token": auth.csrf(page)})
    assert again.status_code == 200 and 'data-testid="renew-confirm"' in again.get_data(as_text=True)
    assert client.get(old.split("localhost", 1)[1]).status_code == 200
    client.post(renew, data={"csrf_token": auth.csrf(page), "confirm": "yes"})
    assert client.get(old.split("localhost", 1)[1]).status_code == 404
