"""The city office's journey in a real browser (Debian's Chromium, Playwright): an admin adds a
bridge, provisions two clerks by CSV upload and books an online briefing for their wards on that
bridge; a clerk sets a password through the link the upload report shows, signs in, sees the
invitation's notice with its unread count, marks it read and confirms attendance."""
import re

import pytest
from sqlalchemy import select

from models import Bridge, Invitation, Meeting, Notice, User, db
from tests.webapp.test_journeys import CHROMIUM, browser, next_monday, server, shot, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                 reason="Debian's chromium is not installed")]



def new_page(browser, server):  # noqa: F811 - the journeys' server fixture
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def test_the_office_provisions_clerks_books_and_a_clerk_confirms(browser, server, hanoi, equipped, make_user,  # noqa: F811
                                                                 engine_name, tmp_path):
    admin = make_user("admin", email="quantri@hanoi.test")
    context, page = new_page(browser, server)
    sign_in(page, admin)
    # 1. a bridge
    page.goto("/admin/bridges/new")
    page.fill("input[name=name]", "MCU Sở Thông tin và Truyền thông")
    page.fill("input[name=capacity]", "40")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/bridges"))
    db.session.commit()
    bridge = db.session.scalar(select(Bridge).where(Bridge.name == "MCU Sở Thông tin và Truyền thông"))
    assert bridge is not None and bridge.capacity == 40
    # 2. two clerks by CSV upload
    upload = tmp_path / "vanthu.csv"
    upload.write_text("email,name,unit,role\n"
                      "vanthu.phucxa@hanoi.test,Nguyễn Thị Hoa,legacy:00001,clerk\n"
                      "vanthu.trucbach@hanoi.test,Trần Văn Nam,legacy:00004,clerk\n", encoding="utf-8")
    page.goto("/admin/accounts/import")
    page.set_input_files("input[name=file]", str(upload))
    page.click("main form button[type=submit]")
    link = page.input_value("[data-testid='link-vanthu.phucxa@hanoi.test']")
    assert "/password/" in link and page.input_value("[data-testid='link-vanthu.trucbach@hanoi.test']")
    shot(page, "office-provisioned", engine_name)
    db.session.commit()
    clerks = db.session.scalars(select(User).where(User.role == "clerk")).all()
    assert {c.unit.ref for c in clerks} == {"legacy:00001", "legacy:00004"}
    # 3. an online briefing for their wards on the new bridge
    monday = next_monday()
    page.goto("/meetings/new")
    page.fill("input[name=title]", "Giao ban trực tuyến văn thư phường")
    page.click("details:has(input[name=codes]) > summary")  # codes sit behind the picker's fold
    page.fill("input[name=codes]", "legacy:00001, legacy:00004")
    page.fill("input[name=date]", monday.isoformat())
    page.fill("input[name=start_time]", "08:00")
    page.fill("input[name=end_time]", "09:30")
    page.select_option("select[name=category]", "giao_ban")
    page.select_option("select[name=organizer]", "legacy:01")
    page.select_option("select[name=mode]", "online")
    page.select_option("select[name=bridge]", str(bridge.id))
    page.click("button[name=book]")
    page.wait_for_url(re.compile(r"/meetings/\d+$"))
    db.session.commit()
    meeting = db.session.scalar(select(Meeting).where(Meeting.title == "Giao ban trực tuyến văn thư phường"))
    assert meeting.bridge_id == bridge.id and {i.unit.ref for i in meeting.invitations} == {"legacy:00001",
                                                                                           "legacy:00004"}
    context.close()
    # 4. the clerk sets a password through the link and signs in
    context, page = new_page(browser, server)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1] if "://" in link else link  # the server's own port
    page.goto(path)
    page.fill("input[name=password]", "Hồ Gươm mùa thu 2026 xanh")
    page.fill("input[name=again]", "Hồ Gươm mùa thu 2026 xanh")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    db.session.commit()
    assert db.session.scalar(select(User).where(User.email == "vanthu.phucxa@hanoi.test")).password_hash
    page.goto("/login")
    page.fill("input[name=email]", "vanthu.phucxa@hanoi.test")
    page.fill("input[name=password]", "Hồ Gươm mùa thu 2026 xanh")
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    # 5. the notice, its unread count, read
    assert page.text_content("[data-testid=unread-count]").strip() == "1"
    page.click("a[href='/notifications']")
    notice = page.locator("[data-kind=booked]")
    assert "Giao ban trực tuyến văn thư phường" in notice.text_content()
    shot(page, "clerk-notice", engine_name)
    notice.locator("[data-testid=open-notice]").click()  # opening it reads it
    page.wait_for_url(f"**/meetings/{meeting.id}")
    assert page.locator("[data-testid=unread-count]").count() == 0
    page.goto("/notifications")
    assert "list-group-item-light" in page.locator("[data-kind=booked]").get_attribute("class")
    db.session.commit()
    told = db.session.scalar(select(Notice).where(Notice.meeting_id == meeting.id,
                                                  Notice.unit_id == hanoi["phuc_xa"].id))
    assert told.read_at is not None
    # 6. confirm attendance
    page.goto("/my-unit")
    page.fill(f"#attendee-{meeting.id}", "Nguyễn Thị Hoa")
    page.click(f"form:has(#attendee-{meeting.id}) button[type=submit]")
    page.wait_for_selector("[data-response=confirmed]")
    db.session.commit()
    inv = db.session.scalar(select(Invitation).where(Invitation.meeting_id == meeting.id,
                                                     Invitation.unit_id == hanoi["phuc_xa"].id))
    assert (inv.response, inv.attendee_name) == ("confirmed", "Nguyễn Thị Hoa")
    context.close()
