"""The follow-up pages: minutes published, a conclusions notice with tasks for three communes each
updated by its clerk, an overdue task in the report (HTML, drill-down, CSV, XLSX) and its reminder."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from models import Task, TaskReminder, db
from models.base import LOCAL, utcnow
from scheduler import jobs

COMMUNES = ("phuc_xa", "truc_bach", "vinh_phuc")


@pytest.fixture
def held(hanoi, make_meeting):
    start = (utcnow() - timedelta(days=10)).replace(minute=0, second=0, microsecond=0)
    return make_meeting(hanoi["ba_dinh"], start, participants=[hanoi[k] for k in COMMUNES], status="held",
                        outcome_mode="online", title="Giao ban quận")


@pytest.fixture
def people(hanoi, make_user):
    return {"org": make_user("organizer", hanoi["ba_dinh"]), "viewer": make_user("viewer", hanoi["ba_dinh"]),
            "dong_xuan": make_user("clerk", hanoi["dong_xuan"]),
            **{k: make_user("clerk", hanoi[k]) for k in COMMUNES}}


def post(client, auth, path, data, page=None):
    return client.post(path, data={**data, "csrf_token": auth.csrf(page or path)})


def text(response):
    return response.get_data(as_text=True)


def test_minutes_are_formatted_without_letting_script_through(client, auth, held, people):
    auth.login(people["org"])
    url = f"/meetings/{held.id}/minutes"
    r = post(client, auth, url, {"body": "# Biên bản họp\n\n**Chủ trì**: đồng chí A\n\n<script>alert(1)</script>\n\n"
                                         "[bấm](javascript:alert(2)) <img src=x onerror=alert(3)>"})
    assert r.status_code == 303
    page = text(client.get(url))
    article = re.search(r'data-testid="minutes-text">(.*?)</article>', page, re.S).group(1)
    assert "<h1>Biên bản họp</h1>" in article and "<strong>Chủ trì</strong>" in article
    assert "<script" not in article and "&lt;script&gt;" in article
    assert "javascript:" not in article.replace("](javascript:alert(2))", "") and "<img" not in article
    assert "Dự thảo" in page
    r = post(client, auth, url + "/publish", {}, page=url)
    assert r.status_code == 303
    auth.logout()
    auth.login(people["truc_bach"])
    assert "Biên bản họp" in text(client.get(url))
    auth.logout()
    auth.login(people["dong_xuan"])
    assert client.get(url).status_code == 404
    auth.logout()
    auth.login(people["phuc_xa"])
    assert post(client, auth, url, {"body": "sửa"}, page="/units").status_code == 403


def test_a_bad_task_is_refused_naming_the_field_in_vietnamese(client, auth, held, people, hanoi):
    auth.login(people["org"])
    url = f"/meetings/{held.id}/conclusions"
    r = post(client, auth, url + "/tasks", {"title": "Báo cáo", "lead_unit": hanoi["phuc_xa"].ref,
                                            "due_on": "31/02/2030"}, page=url)
    assert r.status_code == 400 and "Nhập ngày theo dạng ngày/tháng/năm (dd/mm/yyyy)." in text(r)
    before = (held.start_at.astimezone(LOCAL) - timedelta(days=1)).strftime("%d/%m/%Y")
    r = post(client, auth, url + "/tasks", {"title": "Báo cáo", "lead_unit": hanoi["phuc_xa"].ref,
                                            "due_on": before}, page=url)
    assert r.status_code == 400 and "Hạn hoàn thành không được trước ngày họp." in text(r)
    r = post(client, auth, url + "/tasks", {"title": "", "lead_unit": hanoi["phuc_xa"].ref,
                                            "due_on": "01/01/2099"}, page=url)
    assert r.status_code == 400
    assert db.session.scalar(select(Task.id)) is None


def test_three_communes_update_their_tasks_and_the_overdue_one_is_reported_and_reminded(
        app, client, auth, held, people, hanoi):
    auth.login(people["org"])
    url = f"/meetings/{held.id}/conclusions"
    assert post(client, auth, url, {"number": "12/TB-UBND", "body": "Đồng chí Chủ tịch kết luận:"}).status_code == 303
    today = utcnow().astimezone(LOCAL).date()
    overdue_day = today - timedelta(days=2)
    for k in COMMUNES:
        due = overdue_day if k == "vinh_phuc" else today + timedelta(days=14)
        r = post(client, auth, url + "/tasks", {"title": f"Báo cáo {hanoi[k].name}", "lead_unit": hanoi[k].ref,
                                                "due_on": due.strftime("%d/%m/%Y"),
                                                "supporting_units": [hanoi["stttt"].ref]}, page=url)
        assert r.status_code == 303, text(r)
    assert post(client, auth, url + "/publish", {}, page=url).status_code == 303
    page = text(client.get(url))
    assert "Đã phát hành" in page and page.count('data-testid="task-row"') == 3
    auth.logout()
    tasks = {t.lead_unit_id: t for t in db.session.scalars(select(Task))}
    for k, status, word in zip(COMMUNES, ("received", "done", "in_progress"),
                               ("Đã tiếp nhận", "Đã hoàn thành", "Đang thực hiện"), strict=True):
        auth.login(people[k])
        assert "Nhiệm vụ" in text(client.get("/tasks"))  # the clerk's menu and list
        task_url = f"/tasks/{tasks[hanoi[k].id].id}"
        r = post(client, auth, task_url, {"status": status, "note": f"{k} đã báo cáo"})
        assert r.status_code == 303
        page = text(client.get(task_url))
        assert word in page and f"{k} đã báo cáo" in page
        other = tasks[hanoi["phuc_xa" if k != "phuc_xa" else "truc_bach"].id]
        assert post(client, auth, f"/tasks/{other.id}", {"status": "done"}, page=task_url).status_code == 403
        auth.logout()
    auth.login(people["dong_xuan"])
    assert client.get(f"/tasks/{tasks[hanoi['phuc_xa'].id].id}").status_code == 404
    assert client.get("/reports/followup").status_code == 403
    auth.logout()
    # the overdue task in the report, its drill-down and its files
    auth.login(people["viewer"])
    period = f"{overdue_day:%Y-%m}"
    page = text(client.get(f"/reports/followup?period={period}"))
    row = re.search(r'data-unit="legacy:00006">(.*?)</tr>', page, re.S).group(1)
    assert re.search(r'data-figure="overdue"><a [^>]*standing=overdue[^>]*>1</a>', row)
    drill = text(client.get(f"/reports/followup/tasks?period={period}&unit=legacy:00006&standing=overdue"))
    assert "Báo cáo Phường Vĩnh Phúc" in drill and "Quá hạn" in drill
    csv_text = text(client.get(f"/reports/followup/download?period={period}&format=csv"))
    assert "legacy:00006,Phường Vĩnh Phúc,1,0,0,1,0" in csv_text
    xlsx = client.get(f"/reports/followup/download?period={period}&format=xlsx")
    ws = load_workbook(io.BytesIO(xlsx.data)).active
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=4)]
    assert ["legacy:00006", "Phường Vĩnh Phúc", 1, 0, 0, 1, 0] in rows
    assert client.get(f"/reports/followup/download?period={period}&format=pdf").status_code == 400
    assert client.get("/reports/followup?period=2019-13").status_code == 400
    # and its reminder
    assert jobs.task_reminders(app) >= 1
    kinds = db.session.execute(select(TaskReminder.task_id, TaskReminder.kind)).all()
    assert (tasks[hanoi["vinh_phuc"].id].id, "task_overdue") in kinds
    auth.logout()
    auth.login(people["vinh_phuc"])
    assert "Nhiệm vụ quá hạn từ ngày" in text(client.get("/notifications"))


def test_a_clerk_attaches_evidence_and_only_those_who_see_the_task_download_it(client, auth, held, people, hanoi):
    from urllib.parse import quote

    from scheduler import followup

    task = followup.add_task(held, {"title": "Nộp báo cáo", "lead_unit": hanoi["phuc_xa"].ref,
                                    "due_on": "2099-01-01"}, people["org"], utcnow())
    followup.publish_conclusions(held, people["org"], utcnow())
    auth.login(people["phuc_xa"])
    url = f"/tasks/{task.id}"
    r = client.post(url, data={"status": "done", "note": "Kèm minh chứng", "csrf_token": auth.csrf(url),
                               "file": [(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "Biên bản nghiệm thu.pdf")]},
                    content_type="multipart/form-data")
    assert r.status_code == 303
    r = client.post(url, data={"status": "done", "csrf_token": auth.csrf(url),
                               "file": [(io.BytesIO(b"MZ\x90\x00"), "virus.pdf")]}, content_type="multipart/form-data")
    assert r.status_code == 400 and "Chỉ nhận tệp PDF, Word, Excel, PowerPoint" in text(r)
    page = text(client.get(url))
    link = re.search(r'href="(/tasks/\d+/evidence/\d+)" data-testid="evidence-link">Biên bản nghiệm thu.pdf', page)
    r = client.get(link.group(1))
    assert r.data == b"%PDF-1.4\n%%EOF\n" and r.mimetype == "application/pdf"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert quote("Biên bản nghiệm thu.pdf", safe="") in r.headers["Content-Disposition"]
    assert client.get(link.group(1).rsplit("/", 1)[0] + "/999999").status_code == 404
    auth.logout()
    auth.login(people["dong_xuan"])
    assert client.get(link.group(1)).status_code == 404


def test_every_follow_up_page_reads_in_vietnamese(client, auth, held, people, hanoi):
    from scheduler import followup
    from tests.webapp.test_vietnamese_ui import assert_vietnamese

    org = people["org"]
    followup.save_minutes(held, "Biên bản", org, utcnow())
    task = followup.add_task(held, {"title": "Báo cáo", "lead_unit": hanoi["phuc_xa"].ref,
                                    "due_on": "2099-01-01"}, org, utcnow())
    auth.login(org)
    period = "2099-01"
    for path in (f"/meetings/{held.id}/minutes", f"/meetings/{held.id}/conclusions",
                 f"/reports/followup?period={period}", f"/reports/followup/tasks?period={period}"):
        assert_vietnamese(client.get(path), path)
    followup.publish_conclusions(held, org, utcnow())
    followup.update_task(task, {"status": "received", "note": "Đã nhận"}, people["phuc_xa"], utcnow())
    auth.logout()
    auth.login(people["phuc_xa"])
    for path in (f"/tasks/{task.id}", "/tasks", f"/meetings/{held.id}/minutes", f"/meetings/{held.id}/conclusions"):
        assert_vietnamese(client.get(path), path)
