"""The clerk's home: a window of invitations, paged, with links, endpoints and the feed."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from models import Endpoint, db
from models.base import utcnow
from tests.fixtures.sql import statements_of
from webapp import page_cache
from webapp.clerk_home import PAGE_SIZE, UPCOMING_WEEKS


@pytest.fixture
def clerk(hanoi, make_user):
    return make_user("clerk", hanoi["phuc_xa"])


def test_a_clerk_lands_on_the_unit_page(client, auth, clerk):
    auth.login(clerk)
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/my-unit")


def test_home_is_windowed_and_paged_with_one_query_per_kind(client, auth, clerk, hanoi, make_meeting,
                                                           web_app):
    now = utcnow()
    for day in range(PAGE_SIZE + 5):
        make_meeting(hanoi["ba_dinh"], now + timedelta(days=1, hours=day), title=f"Sắp tới {day:02d}",
                     participants=[hanoi["phuc_xa"]])
    make_meeting(hanoi["ba_dinh"], now + timedelta(weeks=UPCOMING_WEEKS + 1), title="Quá xa",
                 participants=[hanoi["phuc_xa"]])
    make_meeting(hanoi["ba_dinh"], now - timedelta(days=400), title="Năm ngoái", status="held",
                 outcome_mode="online", participants=[hanoi["phuc_xa"]])
    auth.login(clerk)
    client.get("/my-unit")  # warm the feed token and the session
    page_cache.cache_clear()  # count a render, not the page kept for this minute
    with web_app.app_context():
        engine = db.engine
    page, statements = statements_of(lambda: client.get("/my-unit").get_data(as_text=True), engine)
    assert "Sắp tới 00" in page and f"Sắp tới {PAGE_SIZE - 1:02d}" in page
    assert f"Sắp tới {PAGE_SIZE:02d}" not in page  # on the next page
    assert "Quá xa" not in page and "Năm ngoái" not in page
    assert len([s for s in statements if "FROM invitations" in s]) == 2  # upcoming, past
    assert len(statements) < 20, statements
    second = client.get("/my-unit?up=2").get_data(as_text=True)
    assert f"Sắp tới {PAGE_SIZE:02d}" in second and "Sắp tới 00" not in second
    assert client.get("/my-unit?up=abc").status_code == 200


def test_home_links_meetings_endpoints_and_feed(client, auth, clerk, hanoi, make_meeting):
    m = make_meeting(hanoi["ba_dinh"], utcnow() + timedelta(days=2), title="Giao ban tuần",
                     participants=[hanoi["phuc_xa"]])
    e = Endpoint(unit=hanoi["phuc_xa"], name="Phòng họp trực tuyến", kind="room_system",
                 address="sip:phucxa@hanoi.gov.vn", status="installed")
    db.session.add(e)
    db.session.commit()
    auth.login(clerk)
    page = client.get("/my-unit", headers={"Accept-Language": "vi"}).get_data(as_text=True)
    assert f'href="/meetings/{m.id}"' in page
    assert "sip:phucxa@hanoi.gov.vn" in page
    assert re.search(rf'href="/units/[^"]+#endpoint-{e.id}"', page)
    assert re.search(r'id="home-feed-url" value="http://[^"]+/feeds/[^"]+\.ics"', page)
    assert "Outlook" in page and "Thunderbird" in page and "Ghi nhận kiểm tra" in page


def test_sign_in_lands_a_clerk_on_the_unit_page(client, auth, clerk):
    r = auth.login(clerk)
    assert r.status_code == 302
    landing = client.get(r.headers["Location"])
    assert landing.status_code == 302 and landing.headers["Location"].endswith("/my-unit")


def test_each_invitation_opens_the_meeting_and_its_ics(client, auth, clerk, hanoi, make_meeting, bridge):
    bridge.dial_prefix = "8899"
    m = make_meeting(hanoi["ba_dinh"], utcnow() + timedelta(days=2), title="Giao ban tuần",
                     participants=[hanoi["phuc_xa"]], bridge=bridge, ports=2)
    db.session.add(Endpoint(unit=hanoi["phuc_xa"], name="Phòng họp", kind="room_system",
                            address="sip:phucxa@hanoi.gov.vn", status="installed"))
    db.session.commit()
    auth.login(clerk)
    home = client.get("/my-unit").get_data(as_text=True)
    links = home[home.index(f'data-testid="meeting-links-{m.id}"'):]
    links = links[:links.index("</div>")]
    assert f'href="/meetings/{m.id}"' in links and f'href="/meetings/{m.id}.ics"' in links
    page = client.get(f"/meetings/{m.id}").get_data(as_text=True)
    assert "sip:phucxa@hanoi.gov.vn" in page and bridge.name in page and ">8899<" in page
    ics = client.get(f"/meetings/{m.id}.ics")
    assert ics.status_code == 200 and b"BEGIN:VCALENDAR" in ics.data and "Giao ban tuần".encode() in ics.data
    # the feed address on the home page serves the same meeting
    feed = re.search(r'id="home-feed-url" value="http://[^/]+(/feeds/[^"]+\.ics)"', home).group(1)
    assert "Giao ban tuần".encode() in client.get(feed).data
    assert client.get(re.search(r'href="(/units/[^"#]+)#endpoint-', home).group(1)).status_code == 200


def test_past_meetings_wait_for_nothing(client, auth, clerk, hanoi, make_meeting):
    m = make_meeting(hanoi["ba_dinh"], utcnow() - timedelta(days=3), title="Đã họp", status="held",
                     outcome_mode="online", participants=[hanoi["phuc_xa"]], connected=[hanoi["phuc_xa"]])
    auth.login(clerk)
    home = client.get("/my-unit").get_data(as_text=True)
    row = home[home.index(f'id="past-{m.id}"'):]
    row = row[:row.index("</tr>")]
    assert "<form" not in row and 'data-connected="yes"' in row and f'href="/meetings/{m.id}"' in row
