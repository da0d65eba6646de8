"""Every main page at a phone's, a tablet's and a desktop's width, in Vietnamese and English:
nothing scrolls the page sideways, and axe-core finds no serious or critical violation.

One browser, one server and one seeded database (Hanoi's 579 units and a small demo year) for
the module; each width is one test that visits every page once per language and reports all
its failures together. The browser runs with --lang=en-US, so the date and time inputs are
tested where a native input would show mm/dd/yyyy and 02:00 PM.
"""
from __future__ import annotations

import os
import re
import threading
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from config import TestConfig
from models import Bridge, Invitation, Meeting, User, db
from models.base import LOCAL, utcnow
from models.registry_import import import_units
from models.targets import seed_default_rules
from scheduler.booking import book_meeting
from scheduler.demo import generate_demo
from tests.fixtures.database import _empty_tables
from webapp import create_app

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
SHOTS = Path(__file__).resolve().parent.parent.parent / "docs" / "screenshots"
WIDTHS = {390: 844, 768: 1024, 1366: 768}
#: axe takes one to five seconds a page: each width runs it in one language (so both languages
#: are checked narrow and wide), while the overflow check runs in both
AXE_LANGUAGE = {390: "vi", 768: "en", 1366: "vi"}
PASSWORD = "correct horse"
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")]

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}"""
OVERFLOW = """() => {
  const width = window.innerWidth, doc = document.documentElement;
  if (doc.scrollWidth <= width) return null;
  const wide = [...document.querySelectorAll("body *")].filter((e) => {
    const r = e.getBoundingClientRect();
    return r.right > width + 1 && !e.closest(".table-responsive, .table-wrap, .picker-tree");
  }).slice(0, 3).map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join(".")}`);
  return `scrollWidth ${doc.scrollWidth} > ${width} (${wide.join(", ")})`;
}"""


def _monday(weeks: int) -> datetime:
    today = utcnow().astimezone(LOCAL).date()
    day = today + timedelta(days=7 * weeks - today.weekday())
    return datetime.combine(day, time(8), tzinfo=LOCAL)


def _user(role: str, ref: str | None, email: str) -> None:
    from models.units import find_unit
    user = User(email=email, role=role, unit=find_unit(ref) if ref else None)
    user.set_password(PASSWORD)
    db.session.add(user)


def _seed() -> dict:
    """Hanoi's legacy units, a small 2019 demo year, users, and upcoming meetings to open."""
    seed_default_rules(2019)
    import_units(1, "legacy")
    generate_demo(2019, scale=0.01)
    from models import Endpoint
    from models.units import find_unit
    phuc_xa = find_unit("legacy:00001")
    if not db.session.scalar(select(Endpoint.id).where(Endpoint.unit_id == phuc_xa.id)):
        # the clash table needs an endpoint both meetings take
        db.session.add(Endpoint(unit=phuc_xa, name="Phòng họp UBND phường", kind="room_system",
                                status="ready", address="sip:00001@hn.vn", last_check_at=utcnow(),
                                last_check_passed=True))
    _user("admin", "legacy:01", "admin@example.vn")
    _user("clerk", "legacy:00001", "clerk.phucxa@example.vn")
    db.session.commit()
    admin = db.session.scalar(select(User).where(User.role == "admin"))
    bridge = db.session.scalar(select(Bridge).order_by(Bridge.capacity.desc()))
    start = _monday(2)
    series = book_meeting({
        "title": "Giao ban trực tuyến toàn Thành phố về công tác chuyển đổi số và cải cách hành chính",
        "category": "giao_ban", "organizer": "legacy:01", "mode": "online", "start": start,
        "end": start + timedelta(hours=2), "participants": ["communes:legacy:001", "legacy:001",
                                                            "all:departments"],
        "bridge": bridge.id, "rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=3",
        "location": "Phòng họp trực tuyến tầng 3, số 12 Lê Lai"}, admin, utcnow(), 30).meetings
    db.session.commit()
    return {"meeting": series[0].id, "start": start, "bridge": bridge.id}


@pytest.fixture(scope="module")
def site(database_url, tmp_path_factory):
    """The seeded database and a server over it, for the whole module."""
    tmp = str(tmp_path_factory.mktemp("widths"))
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url, GIAOBAN_TMP=tmp)
    with app.app_context():
        _empty_tables()
        seeded = _seed()
    web = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url, GIAOBAN_TMP=tmp,
                     PUBLIC_URL="http://127.0.0.1", RATELIMIT_ENABLED=False)
    srv = make_server("127.0.0.1", 0, web, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{srv.server_port}", "app": app, **seeded}
    srv.shutdown()
    with web.app_context():
        db.session.remove()
        db.engine.dispose()
    with app.app_context():
        _empty_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--lang=en-US",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def sessions(browser, site):
    """A signed-in storage state per account (signed in once for the module)."""
    states = {}
    for role, email in (("admin", "admin@example.vn"), ("clerk", "clerk.phucxa@example.vn")):
        context = browser.new_context(base_url=site["url"], locale="en-US")
        page = context.new_page()
        sign_in(page, email)
        states[role] = context.storage_state()
        context.close()
    return states


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def open_page(browser, site, width: int, state=None, language: str = "vi"):
    context = browser.new_context(base_url=site["url"], locale="en-US", bypass_csp=True,
                                  viewport={"width": width, "height": WIDTHS.get(width, 900)},
                                  storage_state=state)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"/login?lang={language}")
    return page


def main_pages(site) -> dict[str, list[str]]:
    m = site["meeting"]
    day = site["start"].date().isoformat()
    return {
        "admin": ["/", "/units", "/units/legacy:001", "/units/legacy:00001", "/meetings",
                  f"/units/legacy:01/calendar?view=week&date={day}",
                  f"/units/legacy:01/calendar?view=month&date={day}", f"/meetings/{m}",
                  "/meetings/new", f"/meetings/{m}/edit", "/reports/online-ratio?period=2019-03",
                  "/reports/online-ratio/meetings?period=2019-03&kind=held_online", "/readiness",
                  f"/meetings/{m}/responses", "/notifications", "/admin/bridges",
                  f"/admin/bridges/{site['bridge']}", "/admin/accounts", "/admin/calendar/",
                  "/me/feed", "/units/legacy:001/feed", "/meetings/awaiting", "/reports/targets",
                  f"/meetings/{m}/briefing", f"/meetings/{m}/roll-call",
                  f"/meetings/{m}/minutes", f"/meetings/{m}/conclusions", "/reports/followup",
                  "/reports/followup/tasks?period=2019"],
        "clerk": ["/my-unit", f"/meetings/{m}", "/units/legacy:00001", "/notifications",
                  "/me/feed", f"/meetings/{m}/briefing", "/tasks"],
    }


def check_page(page, label: str, failures: list[str], axe: bool = True) -> None:
    overflow = page.evaluate(OVERFLOW)
    if overflow:
        failures.append(f"{label}: {overflow}")
    if axe:
        page.add_script_tag(path=str(AXE))
        failures += [f"{label}: {v}" for v in page.evaluate(AXE_RUN)]


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_main_page_fits_and_passes_axe(browser, site, sessions, width):
    failures: list[str] = []
    for language in ("vi", "en"):
        for role, paths in main_pages(site).items():
            page = open_page(browser, site, width, sessions[role], language)
            for path in paths:
                response = page.goto(path)
                label = f"{width}px {language} {role} {path}"
                if response is None or response.status != 200:
                    failures.append(f"{label}: HTTP {response and response.status}")
                    continue
                check_page(page, label, failures, AXE_LANGUAGE[width] == language)
            if role == "admin":
                _clash(page, site)
                check_page(page, f"{width}px {language} booking form with clashes", failures,
                           AXE_LANGUAGE[width] == language)
            page.context.close()
    assert not failures, "\n".join(failures)


def _clash(page, site) -> None:
    """The booking form checked against the seeded meeting: the clash table is shown."""
    page.goto("/meetings/new")
    page.fill("input[name=title]", "Họp trùng giờ")
    page.fill("input[name=date]", site["start"].strftime("%d/%m/%Y"))
    page.fill("input[name=start_time]", "09:00")
    page.fill("input[name=end_time]", "11:00")
    page.fill("[data-picker-search]", "phuc xa")
    page.check("input[name=units][value='legacy:00001']")
    page.select_option("select[name=bridge]", str(site["bridge"]))
    page.click("button[name=check]")
    page.wait_for_selector("[data-testid=conflicts]")


def test_booking_form_is_dd_mm_yyyy_and_24_hour_in_an_english_browser(browser, site, sessions):
    page = open_page(browser, site, 1366, sessions["admin"], "en")
    page.goto("/meetings/new")
    assert page.evaluate("navigator.language") == "en-US"
    for name in ("date", "start_time", "end_time", "until"):
        assert page.get_attribute(f"input[name={name}]", "type") == "text", name
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4}", page.input_value("input[name=date]"))
    assert page.input_value("input[name=start_time]") == "08:00"
    assert page.get_attribute("input[name=date]", "placeholder") == "dd/mm/yyyy"
    day = (site["start"] + timedelta(days=3)).date()  # Thursday: no clash with the Monday series
    page.fill("input[name=title]", "Tập huấn buổi chiều")
    page.fill("input[name=date]", day.strftime("%d/%m/%Y"))
    page.fill("input[name=start_time]", "14:30")
    page.fill("input[name=end_time]", "16:45")
    page.select_option("select[name=mode]", "in_person")
    page.select_option("select[name=bridge]", "")
    page.fill("[data-picker-search]", "truc bach")
    page.check("input[name=units][value='legacy:00004']")
    page.click("button[name=book]")
    page.wait_for_url(re.compile(r"/meetings/\d+$"))
    assert f"{day:%d/%m/%Y} 14:30" in page.content()
    with site["app"].app_context():
        meeting = db.session.scalar(select(Meeting).where(Meeting.title == "Tập huấn buổi chiều"))
        assert meeting.start_at.astimezone(LOCAL) == datetime.combine(day, time(14, 30), tzinfo=LOCAL)
        assert meeting.end_at.astimezone(LOCAL).time() == time(16, 45)
    page.context.close()


def test_picker_searches_without_accents_toggles_groups_and_keeps_invitees_on_edit(browser, site,
                                                                                  sessions):
    with site["app"].app_context():
        before = set(db.session.scalars(select(Invitation.unit_id).where(
            Invitation.meeting_id == site["meeting"])))
    page = open_page(browser, site, 768, sessions["admin"], "vi")
    page.goto(f"/meetings/{site['meeting']}/edit")
    count = page.locator("[data-testid=picker-count]")
    assert count.inner_text().startswith(f"Đã chọn {len(before)} ")
    picker = page.locator("[data-testid=picker]")
    page.fill("[data-picker-search]", "hang ma")  # Phường Hàng Mã, typed without accents
    row = picker.locator(".picker-row:visible")
    assert row.count() == 1 and "Phường Hàng Mã" in row.inner_text()
    row.click()  # one plain tap on a unit adds it; the invitees stay
    assert count.inner_text().startswith(f"Đã chọn {len(before) + 1} ")
    page.fill("[data-picker-search]", "")
    page.click("details[data-picker-district='legacy:003'] > summary")  # open Tây Hồ
    page.check("input[data-picker-communes-of='legacy:003']")  # and tick all its communes
    tay_ho = page.locator("input[name=units][data-district='legacy:003']")
    ticked = [tay_ho.nth(i).is_checked() for i in range(tay_ho.count())]
    assert len(ticked) > 5 and all(ticked)
    assert count.inner_text().startswith(f"Đã chọn {len(before) + 1 + len(ticked)} ")
    page.uncheck("input[data-picker-communes-of='legacy:003']")
    assert not any(tay_ho.nth(i).is_checked() for i in range(tay_ho.count()))
    page.check("input[data-picker-group=department]")  # already all invited: stays ticked
    page.check("input[name=scope][value=this]")
    page.click("main form button[type=submit]:not([name])")
    page.wait_for_url(f"**/meetings/{site['meeting']}")
    with site["app"].app_context():
        after = set(db.session.scalars(select(Invitation.unit_id).where(
            Invitation.meeting_id == site["meeting"])))
        from models.units import find_unit
        assert after == before | {find_unit("legacy:00043").id}
    page.context.close()


def test_clerk_on_a_phone_finds_opens_and_answers_an_invitation(browser, site, sessions):
    page = open_page(browser, site, 390, None, "vi")
    page.context.set_default_timeout(15000)
    sign_in(page, "clerk.phucxa@example.vn")
    fits = "document.documentElement.scrollWidth <= window.innerWidth"
    menu = page.locator("[data-nav-toggle]")
    assert menu.is_visible() and menu.get_attribute("aria-expanded") == "false"
    assert not page.locator("#main-menu").is_visible()  # folded: the content comes first
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    page.click("#main-menu a[href='/my-unit']")
    page.wait_for_url("**/my-unit")
    assert page.evaluate(fits)
    assert page.locator("#main-menu a[aria-current=page]").get_attribute("href") == "/my-unit"
    m = site["meeting"]
    card = page.locator(f"#meeting-{m}")
    card.scroll_into_view_if_needed()
    link = card.locator(f"a[href='/meetings/{m}']").first
    box = link.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
    link.click()
    page.wait_for_url(f"**/meetings/{m}")
    assert page.evaluate(fits) and "Giao ban trực tuyến toàn Thành phố" in page.content()
    page.go_back()
    page.fill(f"#attendee-{m}", "Nguyễn Thị Hoa")
    page.fill(f"#title-{m}", "Phó Chủ tịch UBND phường")
    button = page.locator(f"form:has(#attendee-{m}) button[type=submit]")
    box = button.bounding_box()
    assert box and box["x"] + box["width"] <= 390 and box["height"] >= 30
    button.click()
    page.wait_for_selector(f"#meeting-{m}[data-response=confirmed]")
    assert page.evaluate(fits)
    with site["app"].app_context():
        from models.units import find_unit
        inv = db.session.scalar(select(Invitation).where(
            Invitation.meeting_id == m, Invitation.unit_id == find_unit("legacy:00001").id))
        assert (inv.response, inv.attendee_name) == ("confirmed", "Nguyễn Thị Hoa")
    page.context.close()


@pytest.mark.skipif(not os.environ.get("GIAOBAN_SCREENSHOTS"), reason="GIAOBAN_SCREENSHOTS=1 retakes them")
def test_screenshots_for_the_readme(browser, site, sessions):
    """The README's pictures, at the desktop's and the tablet's width (docs/screenshots/)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    m = site["meeting"]
    for width in (1366, 768):
        page = open_page(browser, site, width, sessions["admin"], "vi")
        for name, path in (("report", "/reports/online-ratio?period=2019-03"),
                           ("booking", "/meetings/new"), ("meeting", f"/meetings/{m}"),
                           ("units", "/units")):
            page.goto(path)
            page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=False)
        page.context.close()
        page = open_page(browser, site, width, sessions["clerk"], "vi")
        page.goto("/my-unit")
        page.screenshot(path=str(SHOTS / f"clerk-home-{width}.png"), full_page=False)
        page.context.close()
    assert all((SHOTS / f"report-{w}.png").stat().st_size > 10_000 for w in (1366, 768))
