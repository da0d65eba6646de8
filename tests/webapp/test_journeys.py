"""Real-browser journeys: Debian's Chromium driven by Playwright against a server the test starts.

Screenshots go to tests/screenshots/ (the README shows some of them).
"""
import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from models import Invitation, Meeting, db
from models.base import LOCAL, utcnow

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent.parent / "screenshots"
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")]


@pytest.fixture
def server(web_app):
    web_app.config["PUBLIC_URL"] = "http://127.0.0.1"
    srv = make_server("127.0.0.1", 0, web_app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the module; each test gets its own context (cookies, storage) in `page`."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900}, locale="vi-VN",
                                  accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


def shot(page, name: str, engine: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{engine}.png"), full_page=True)


def sign_in(page, user) -> None:
    page.goto("/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", "correct horse")
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def next_monday(days: int = 14):
    day = (utcnow() + timedelta(days=days)).date()
    return day + timedelta(days=(7 - day.weekday()) % 7)


def test_city_office_books_a_weekly_briefing_series_and_moves_one(page, equipped, bridge, organizer,
                                                                   engine_name):
    equipped["hang_ma"].status = "faulty"
    db.session.commit()
    sign_in(page, organizer)
    page.goto("/meetings/new")
    monday = next_monday()
    page.fill("input[name=title]", "Giao ban trực tuyến toàn Thành phố")
    page.check("input[name=groups][value='all:districts_and_communes']")
    page.fill("input[name=date]", monday.isoformat())
    page.fill("input[name=start_time]", "08:00")
    page.fill("input[name=end_time]", "10:00")
    page.select_option("select[name=category]", "giao_ban")
    page.select_option("select[name=organizer]", "legacy:01")
    page.select_option("select[name=mode]", "online")
    page.select_option("select[name=bridge]", str(bridge.id))
    page.select_option("select[name=repeat]", "weekly")
    page.check("input[name=weekdays][value=MO]")
    page.fill("input[name=count]", "4")
    page.click("button[name=check]")
    assert "Phường Hàng Mã" in page.content()  # not ready, listed before booking
    assert db.session.scalar(select(Meeting.id)) is None
    shot(page, "booking-check", engine_name)
    page.click("button[name=book]")
    page.wait_for_url(re.compile(r"/meetings/\d+$"))
    db.session.commit()  # end the test's read transaction: see what the server wrote
    assert "Phường Hàng Mã" in page.content()  # the warning survives into the flash
    meetings = db.session.scalars(select(Meeting).order_by(Meeting.start_at)).all()
    assert len(meetings) == 4 and len(meetings[0].invitations) == 8
    shot(page, "meeting-detail", engine_name)
    second = meetings[1]
    page.click(f"a[href='/meetings/{second.id}']")
    page.click(f"a[href='/meetings/{second.id}/edit']")
    page.fill("input[name=start_time]", "14:00")
    page.fill("input[name=end_time]", "16:00")
    page.check("input[name=scope][value=this]")
    page.click("main form button[type=submit]:not([name])")
    page.wait_for_url(f"**/meetings/{second.id}")
    db.session.commit()
    moved = db.session.get(Meeting, second.id)
    assert moved.start_at.astimezone(LOCAL).hour == 14 and moved.revision == 1
    assert db.session.get(Meeting, meetings[2].id).revision == 0
    assert "14:00" in page.content()


def test_ward_clerk_confirms_and_copies_the_feed_url(page, hanoi, equipped, make_user, make_meeting,
                                                     engine_name):
    clerk = make_user("clerk", hanoi["phuc_xa"])
    start = datetime.combine(next_monday(), datetime.min.time(), tzinfo=UTC) + timedelta(hours=1)
    meeting = make_meeting(hanoi["ba_dinh"], start, participants=[hanoi["phuc_xa"]],
                           title="Giao ban quận Ba Đình")
    sign_in(page, clerk)
    page.goto("/my-unit")
    page.fill(f"#attendee-{meeting.id}", "Nguyễn Thị Hoa")
    page.fill(f"#title-{meeting.id}", "Phó Chủ tịch UBND phường")
    page.click(f"form:has(#attendee-{meeting.id}) button[type=submit]")
    page.wait_for_selector("[data-response=confirmed]")
    shot(page, "clerk-home", engine_name)
    db.session.commit()
    inv = db.session.scalar(select(Invitation).where(Invitation.meeting_id == meeting.id))
    assert (inv.response, inv.attendee_name) == ("confirmed", "Nguyễn Thị Hoa")
    page.goto("/units/legacy:00001")
    url = page.input_value("#feed-url")
    assert "/feeds/" in url and url.endswith(".ics")
    page.click("button[data-copy='#feed-url']")
    page.wait_for_function("document.querySelector(\"button[data-copy='#feed-url']\").textContent === '✓'")
    assert page.evaluate("navigator.clipboard.readText()") == url
    shot(page, "unit-page", engine_name)
    feed = page.request.get(url)
    assert feed.status == 200 and "Giao ban quận Ba Đình" in feed.text()


def _held_month(hanoi, make_meeting):
    march = datetime(2019, 3, 5, 1, tzinfo=UTC)
    for i, mode in enumerate(["online", "online", "hybrid", "in_person"]):
        make_meeting(hanoi["ba_dinh"], march + timedelta(days=i), participants=[hanoi["phuc_xa"]],
                     category="tap_huan", status="held", outcome_mode=mode, connected=[hanoi["phuc_xa"]],
                     title=f"Tập huấn {i + 1}")


@pytest.mark.parametrize("language", ["vi", "en"])
def test_leader_reads_the_monthly_report_drills_down_and_downloads(page, hanoi, make_user, make_meeting,
                                                                   engine_name, language, tmp_path):
    _held_month(hanoi, make_meeting)
    sign_in(page, make_user("viewer", hanoi["city"]))
    if language == "en":
        page.click("[data-testid=switch-language]")
        page.wait_for_load_state()
    page.goto("/reports/online-ratio?period=2019-03")
    html = page.content()
    assert ("Online-meeting ratio" in html or "Online meeting" in html) if language == "en" else "trực tuyến" in html
    assert "<svg" in html
    shot(page, f"report-{language}", engine_name)
    page.click("[data-testid$=-ratio] a >> nth=0")
    page.wait_for_url("**/reports/online-ratio/meetings**")
    assert "Tập huấn 1" in page.content() and "Tập huấn 4" not in page.content()
    page.go_back()
    with page.expect_download() as info:
        page.click("[data-testid=download-xlsx]")
    path = tmp_path / "report.xlsx"
    info.value.save_as(path)
    from openpyxl import load_workbook
    book = load_workbook(path)
    assert len(book.sheetnames) >= 3
    values = [c.value for row in book.worksheets[0].iter_rows() for c in row]
    assert 75.0 in values or "75.0" in values or 0.75 in values
