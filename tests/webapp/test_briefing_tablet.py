"""Tablet first (#16 item 7), in a real Chromium at 768 px: a participant reaches today's
programme and a document in two taps from their home; the host's roll-call console fits the
screen, passes axe, and updates without reloading when a site checks in or is marked."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from models import db
from models.base import utcnow
from scheduler.briefing import add_document, set_agenda, set_document_status
from tests import briefing_files as files
from tests.webapp.test_journeys import CHROMIUM, browser, server, sign_in  # noqa: F401
from tests.webapp.test_widths import AXE, AXE_RUN, OVERFLOW

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")]
TABLET = {"width": 768, "height": 1024}


@pytest.fixture
def briefing(hanoi, make_user, make_meeting, web_app):
    web_app.config["ROLL_CALL_POLL_SECONDS"] = 1
    org = make_user("organizer", hanoi["ba_dinh"])
    clerk = make_user("clerk", hanoi["phuc_xa"])
    meeting = make_meeting(hanoi["ba_dinh"], utcnow() + timedelta(minutes=10), hours=1, mode="online",
                           title="Giao ban trực tuyến sáng thứ Hai",
                           participants=[hanoi["phuc_xa"], hanoi["truc_bach"], hanoi["vinh_phuc"]])
    set_agenda(meeting, [{"title": "Báo cáo tình hình chuyển đổi số", "time": "08:00",
                          "presenter": "legacy:00001"}, {"title": "Kết luận của chủ trì"}], org, utcnow())
    doc = add_document(meeting, files.PDF, "Báo cáo chuyển đổi số quý IV.pdf", org, utcnow(), web_app.config)
    set_document_status(meeting, doc, "published", org, utcnow())
    db.session.commit()
    return {"org": org, "clerk": clerk, "meeting": meeting, "doc": doc}


def tablet(browser, server):  # noqa: F811
    context = browser.new_context(base_url=server, viewport=TABLET, locale="vi-VN", accept_downloads=True,
                                  bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def fits(page) -> list[str]:
    problems = [p for p in [page.evaluate(OVERFLOW)] if p]
    page.add_script_tag(path=str(AXE))
    return problems + page.evaluate(AXE_RUN)


def test_two_taps_from_the_clerk_home_to_a_document(browser, server, briefing):  # noqa: F811
    context, page = tablet(browser, server)
    sign_in(page, briefing["clerk"])
    page.goto("/my-unit")
    assert fits(page) == []
    page.get_by_test_id(f"open-briefing-{briefing['meeting'].id}").click()  # tap 1
    page.wait_for_url(f"**/meetings/{briefing['meeting'].id}/briefing")
    assert "Báo cáo tình hình chuyển đổi số" in page.locator("[data-testid=programme]").inner_text()
    assert fits(page) == []
    with page.expect_download() as download:
        page.get_by_role("link", name="Báo cáo chuyển đổi số quý IV.pdf").click()  # tap 2
    assert download.value.suggested_filename == "Báo cáo chuyển đổi số quý IV.pdf"
    context.close()


def test_the_console_fits_a_tablet_and_updates_without_reloading(browser, server, briefing):  # noqa: F811
    host_context, host = tablet(browser, server)
    sign_in(host, briefing["org"])
    host.goto(f"/meetings/{briefing['meeting'].id}/roll-call")
    assert fits(host) == []
    host.evaluate("window.stillTheSamePage = true")
    clerk_context, clerk = tablet(browser, server)
    sign_in(clerk, briefing["clerk"])
    clerk.goto("/my-unit")
    clerk.get_by_test_id(f"check-in-{briefing['meeting'].id}").click()  # one tap
    clerk.wait_for_url("**/my-unit")
    row = host.locator('[data-unit="legacy:00001"]')
    row.locator('[data-role="label"]').filter(has_text="Đã kết nối").wait_for()
    vinh_phuc = host.locator('[data-unit="legacy:00006"]')
    vinh_phuc.locator("input[name=reason]").fill("Mất kết nối đường truyền")
    vinh_phuc.get_by_role("button", name="Vắng mặt").click()
    vinh_phuc.locator('[data-role="reason"]').filter(has_text="Mất kết nối đường truyền").wait_for()
    assert host.locator('[data-count="absent"]').inner_text() == "1"
    assert host.evaluate("window.stillTheSamePage") is True
    host_context.close()
    clerk_context.close()


def test_the_organiser_prepares_and_publishes_in_the_browser(browser, server, hanoi, make_user, make_meeting,  # noqa: F811
                                                             tmp_path):
    from sqlalchemy import select

    from models import Document, Notice

    org = make_user("organizer", hanoi["ba_dinh"])
    meeting = make_meeting(hanoi["ba_dinh"], utcnow() + timedelta(days=1), participants=[hanoi["phuc_xa"],
                                                                                        hanoi["truc_bach"]])
    context, page = tablet(browser, server)
    sign_in(page, org)
    page.goto(f"/meetings/{meeting.id}")
    page.get_by_test_id("briefing-link").click()
    form = page.get_by_test_id("agenda-form")
    form.locator("input[name=time]").nth(0).fill("08:30")
    form.locator("input[name=title]").nth(0).fill("Báo cáo kết quả tháng")
    form.locator("select[name=presenter]").nth(0).select_option("legacy:00001")
    form.locator("input[name=title]").nth(1).fill("Kết luận")
    form.get_by_role("button", name="Lưu chương trình").click()
    page.get_by_test_id("programme").filter(has_text="Báo cáo kết quả tháng").wait_for()
    upload = tmp_path / "Kế hoạch chuyển đổi số.pdf"
    upload.write_bytes(files.PDF)
    page.locator("input[type=file]").set_input_files(str(upload))
    page.get_by_test_id("upload-form").get_by_role("button", name="Tải lên").click()
    page.locator('[data-status="draft"]').wait_for()
    page.locator('[data-status="draft"]').get_by_role("button", name="Phát hành").click()
    page.locator('[data-status="published"]').wait_for()
    assert fits(page) == []
    context.close()
    db.session.rollback()  # end the test's read transaction: see what the server wrote
    doc = db.session.scalar(select(Document))
    assert doc.filename == "Kế hoạch chuyển đổi số.pdf" and doc.status == "published"
    assert db.session.scalar(select(db.func.count(Notice.id)).where(Notice.kind == "documents_published")) == 2
