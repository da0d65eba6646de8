"""Browser journey: after a briefing, the organiser publishes the minutes and a conclusions notice with
tasks for three communes; each commune's clerk reports its task from a tablet; the overdue task shows
in the follow-up report and its lead unit is reminded."""
import re
from datetime import timedelta

import pytest

from models import db
from models.base import LOCAL, utcnow
from scheduler import jobs
from tests.webapp.test_journeys import CHROMIUM, browser, server, shot, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                 reason="Debian's chromium is not installed")]
COMMUNES = ("phuc_xa", "truc_bach", "vinh_phuc")



def new_page(browser, server, width=1280):  # noqa: F811 - the journeys' server fixture
    context = browser.new_context(base_url=server, viewport={"width": width, "height": 1000}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def test_minutes_and_conclusions_followed_up_by_three_clerks(browser, server, app, hanoi, make_user,  # noqa: F811
                                                             make_meeting, engine_name):
    start = (utcnow() - timedelta(days=10)).replace(minute=0, second=0, microsecond=0)
    meeting = make_meeting(hanoi["ba_dinh"], start, participants=[hanoi[k] for k in COMMUNES], status="held",
                           outcome_mode="online", title="Giao ban quận tháng này")
    organiser = make_user("organizer", hanoi["ba_dinh"])
    clerks = {k: make_user("clerk", hanoi[k]) for k in COMMUNES}
    viewer = make_user("viewer", hanoi["ba_dinh"])
    today = utcnow().astimezone(LOCAL).date()
    overdue_day = today - timedelta(days=2)

    context, page = new_page(browser, server)
    sign_in(page, organiser)
    page.goto(f"/meetings/{meeting.id}")
    page.click("[data-testid=minutes-link]")
    page.fill("textarea[name=body]", "# Biên bản\n\n**Chủ trì:** đồng chí Chủ tịch\n\n<script>alert(1)</script>")
    page.click("[data-testid=minutes-form] button[type=submit]")
    page.click("[data-testid=publish-minutes] button")
    assert page.locator("[data-testid=minutes-state]").inner_text().startswith("Đã phát hành")
    assert page.locator("[data-testid=minutes-text] strong").inner_text() == "Chủ trì:"
    page.click("text=Thông báo kết luận")
    page.fill("input[name=number]", "15/TB-UBND")
    page.fill("[data-testid=conclusions-form] textarea[name=body]", "Đồng chí Chủ tịch kết luận như sau.")
    page.click("[data-testid=conclusions-form] button[type=submit]")
    for k in COMMUNES:
        due = overdue_day if k == "vinh_phuc" else today + timedelta(days=14)
        page.fill("[data-testid=task-form] input[name=title]", f"Báo cáo {hanoi[k].name}")
        page.select_option("[data-testid=task-form] select[name=lead_unit]", hanoi[k].ref)
        page.fill("[data-testid=task-form] input[name=due_on]", due.strftime("%d/%m/%Y"))
        page.click("[data-testid=task-form] button[type=submit]")
        page.wait_for_selector(f"[data-testid=task-row]:has-text('{hanoi[k].name}')")
    page.click("[data-testid=publish-conclusions] button")
    assert page.locator("[data-testid=conclusions-state]").inner_text().startswith("Đã phát hành")
    assert page.locator("[data-testid=task-row]").count() == 3
    shot(page, "followup-conclusions", engine_name)
    context.close()

    for k, status, word in zip(COMMUNES, ("received", "done", "in_progress"),
                               ("Đã tiếp nhận", "Đã hoàn thành", "Đang thực hiện"), strict=True):
        context, page = new_page(browser, server, width=768)  # a tablet
        sign_in(page, clerks[k])
        page.goto("/tasks")
        page.click(f"[data-testid=task-row] a:has-text('{hanoi[k].name}')")
        page.select_option("select[name=status]", status)
        page.fill("textarea[name=note]", f"{hanoi[k].name} báo cáo")
        page.click("[data-testid=task-update-form] button[type=submit]")
        assert page.locator("[data-testid=task-status]").inner_text().startswith(word)
        assert f"{hanoi[k].name} báo cáo" in page.locator("[data-testid=task-updates]").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 768
        context.close()

    db.session.commit()  # end the test thread's read snapshot
    assert jobs.task_reminders(app) >= 1
    context, page = new_page(browser, server)
    sign_in(page, viewer)
    page.goto(f"/reports/followup?period={overdue_day:%Y-%m}")
    row = page.locator("[data-testid=followup-row][data-unit='legacy:00006']")
    assert row.locator("[data-figure=overdue]").inner_text() == "1"
    row.locator("[data-figure=overdue] a").click()
    page.wait_for_url(re.compile(r"standing=overdue"))
    assert "Báo cáo Phường Vĩnh Phúc" in page.locator("[data-testid=tasks]").inner_text()
    shot(page, "followup-report", engine_name)
    context.close()

    context, page = new_page(browser, server, width=768)
    sign_in(page, clerks["vinh_phuc"])
    page.goto("/notifications")
    assert "Nhiệm vụ quá hạn từ ngày" in page.content()
    context.close()
