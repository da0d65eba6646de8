"""#18: the browser journeys once on a 2025 city: Hà Nội's 126 communes of 1 July 2025 (no
districts), with the demo's present year (`generate_demo(2025, recent=True)`), as `UNITS_DATASET=2025
make demo` makes it.

One journey across the three users: the city office books an online briefing for every commune
from the booking page; the clerk of the new Phường Ba Đình confirms on a 390 px phone; a leader
reads last month's report on a 768 px tablet and the "as of today" view. On both engines.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from models import Bridge, Invitation, Meeting, Unit, db
from models.base import LOCAL, utcnow
from models.registry_import import import_units
from scheduler.demo import generate_demo
from tests.webapp.test_journeys import CHROMIUM, browser, next_monday, server, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                 reason="Debian's chromium is not installed")]
FITS = "document.documentElement.scrollWidth <= window.innerWidth"


def _unit(name: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.dataset == "2025", Unit.name == name,
                                                Unit.dissolved_on.is_(None)))


def _page(browser, server, width: int):  # noqa: F811
    context = browser.new_context(base_url=server, viewport={"width": width, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(20000)
    return page


def test_a_2025_city_books_confirms_and_reports_end_to_end(app, browser, server, make_user):  # noqa: F811
    today = utcnow().astimezone(LOCAL).date()
    import_units(1, "2025")
    counts = generate_demo(2025, scale=0.02, today=today, recent=True)
    assert counts["meetings"] > 0
    communes = db.session.scalar(select(func.count(Unit.id)).where(
        Unit.dataset == "2025", Unit.level == "commune", Unit.dissolved_on.is_(None)))
    assert communes == 126
    city, ba_dinh = _unit("Thành phố Hà Nội"), _unit("Phường Ba Đình")
    bridge = db.session.scalar(select(Bridge).where(Bridge.name == "MCU Thành phố"))
    office, clerk = make_user("organizer", city), make_user("clerk", ba_dinh)
    leader = make_user("viewer", city)

    # the city office, at a desktop: every commune, online, on the city's bridge
    page = _page(browser, server, 1366)
    sign_in(page, office)
    page.goto("/meetings/new")
    page.fill("input[name=title]", "Giao ban trực tuyến với 126 xã, phường")
    tree = page.locator("details[data-picker-communes]")
    assert "(126)" in tree.locator("summary").inner_text() and tree.get_attribute("open") is not None
    page.check("input[name=groups][value='all:communes']")
    thursday = next_monday() + timedelta(days=3)
    page.fill("input[name=date]", f"{thursday:%d/%m/%Y}")
    page.fill("input[name=start_time]", "15:00")  # Monday morning is the city's weekly briefing
    page.fill("input[name=end_time]", "16:30")
    page.select_option("select[name=category]", "giao_ban")
    page.select_option("select[name=organizer]", city.ref)
    page.select_option("select[name=mode]", "online")
    page.select_option("select[name=bridge]", str(bridge.id))
    page.click("button[name=book]")
    try:
        page.wait_for_url(re.compile(r"/meetings/\d+$"))
    except Exception:
        page.screenshot(path="/tmp/look/j2025-fail.png", full_page=True)
        raise
    meeting_id = int(page.url.rsplit("/", 1)[1])
    db.session.commit()  # end the test's read transaction: see what the server wrote
    meeting = db.session.get(Meeting, meeting_id)
    assert meeting.title == "Giao ban trực tuyến với 126 xã, phường" and meeting.bridge_id == bridge.id
    invited = {inv.unit_id for inv in meeting.invitations}
    assert len(invited) == 126 and ba_dinh.id in invited
    assert {u.dataset for u in db.session.scalars(select(Unit).where(Unit.id.in_(invited)))} == {"2025"}
    page.context.close()

    # the Ba Đình clerk, on a phone: the invitation is on the home page and in the notices
    page = _page(browser, server, 390)
    sign_in(page, clerk)
    page.goto("/notifications")
    assert "Giao ban trực tuyến với 126 xã, phường" in page.content() and page.evaluate(FITS)
    page.goto("/my-unit")
    assert "Phường Ba Đình" in page.content() and page.evaluate(FITS)
    page.fill(f"#attendee-{meeting_id}", "Trần Văn Bình")
    page.fill(f"#title-{meeting_id}", "Chủ tịch UBND phường")
    page.click(f"form:has(#attendee-{meeting_id}) button[type=submit]")
    page.wait_for_selector(f"#meeting-{meeting_id}[data-response=confirmed]")
    assert page.evaluate(FITS)
    db.session.commit()
    inv = db.session.scalar(select(Invitation).where(Invitation.meeting_id == meeting_id,
                                                     Invitation.unit_id == ba_dinh.id))
    assert (inv.response, inv.attendee_name) == ("confirmed", "Trần Văn Bình")
    page.context.close()

    # a leader, on a tablet: a month of the 2025 structure speaks of the new communes, with no
    # district table; the default month (the last one) reads too
    page = _page(browser, server, 768)
    sign_in(page, leader)
    assert page.goto("/reports/online-ratio").status == 200 and page.evaluate(FITS)
    response = page.goto("/reports/online-ratio?period=2025-09")
    assert response.status == 200 and page.evaluate(FITS)
    html = page.content()
    assert "<svg" in html and "Quận Ba Đình" not in html and "Theo quận, huyện" not in html
    september = (datetime(2025, 9, 1, tzinfo=LOCAL), datetime(2025, 10, 1, tzinfo=LOCAL))
    organisers = set(db.session.scalars(select(Unit.name).join(Meeting, Meeting.organizer_id == Unit.id).where(
        Unit.level == "commune", Meeting.status == "held",
        Meeting.start_at >= september[0], Meeting.start_at < september[1])))
    assert organisers and all(name in html for name in organisers)
    last_month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    response = page.goto(f"/reports/online-ratio/as-of-today?period={last_month}")
    assert response.status == 200 and page.evaluate(FITS)
    page.goto("/readiness")
    assert "126" in page.content() and page.evaluate(FITS)
    page.context.close()
