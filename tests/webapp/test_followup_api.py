"""The follow-up API: minutes, the conclusions notice, tasks for three communes, the clerks'
updates, an overdue task in the report and its reminder."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from models import Notice, TaskReminder, db
from models.base import LOCAL, utcnow
from scheduler import jobs

COMMUNES = ("phuc_xa", "truc_bach", "vinh_phuc")


@pytest.fixture
def held(hanoi, make_meeting):
    start = (utcnow() - timedelta(days=10)).replace(minute=0, second=0, microsecond=0)
    return make_meeting(hanoi["ba_dinh"], start, participants=[hanoi[k] for k in COMMUNES], status="held",
                        outcome_mode="online", title="Giao ban quận")


@pytest.fixture
def heads(hanoi, make_user, token_for):
    users = {"org": make_user("organizer", hanoi["ba_dinh"]), "org_out": make_user("organizer", hanoi["hoan_kiem"]),
             "viewer": make_user("viewer", hanoi["ba_dinh"]), "dong_xuan": make_user("clerk", hanoi["dong_xuan"]),
             **{k: make_user("clerk", hanoi[k]) for k in COMMUNES}}
    return {k: token_for(u) for k, u in users.items()}


def test_minutes_draft_then_published_to_participants(client, held, heads):
    url = f"/api/v1/meetings/{held.id}/minutes"
    assert client.get(url, headers=heads["org"]).status_code == 404
    r = client.put(url, json={"body": "# Biên bản\n\n<script>alert(1)</script>"}, headers=heads["org"])
    assert r.status_code == 200 and r.json["status"] == "draft" and r.json["revision"]["number"] == 1
    assert client.get(url, headers=heads["phuc_xa"]).status_code == 404  # a draft is the organiser's
    assert client.put(url, json={"body": "x"}, headers=heads["phuc_xa"]).status_code == 403
    assert client.put(url, json={"body": "x"}, headers=heads["org_out"]).status_code == 404  # cannot see it
    client.put(url, json={"body": "# Biên bản\n\nBản 2"}, headers=heads["org"])
    r = client.post(url + "/publish", headers=heads["org"])
    assert r.json["status"] == "published" and r.json["published_revision"] == 2
    r = client.get(url, headers=heads["truc_bach"])
    assert r.status_code == 200 and r.json["revision"]["body"].endswith("Bản 2") and r.json["revisions"] == [2]
    assert client.get(url, headers=heads["dong_xuan"]).status_code == 404


def test_refusals_name_the_field_in_the_callers_language(client, held, heads):
    base = f"/api/v1/meetings/{held.id}/conclusions/tasks"
    vi = {**heads["org"], "Accept-Language": "vi"}
    r = client.post(base, json={"title": "T", "lead_unit": "legacy:99999", "due_on": "2099-01-01"}, headers=vi)
    assert r.status_code == 422 and r.json["error"]["code"] == "invalid"
    assert "lead_unit" in r.json["error"]["details"]
    r = client.post(base, json={"title": "T", "lead_unit": "legacy:00001",
                                "due_on": (held.start_at - timedelta(days=2)).date().isoformat()}, headers=vi)
    assert r.json["error"]["details"]["due_on"] == ["Hạn hoàn thành không được trước ngày họp."]
    r = client.post(base, json={"title": "T", "lead_unit": "legacy:00001", "due_on": "soon"}, headers=vi)
    assert r.status_code == 422 and "due_on" in r.json["error"]["details"]
    r = client.post(f"/api/v1/meetings/{held.id}/conclusions/publish", headers=vi)
    assert r.status_code == 409 and "body" in r.json["error"]["details"]  # nothing to publish yet
    assert client.get(f"/api/v1/meetings/{held.id}/conclusions", headers=heads["org"]).status_code == 404


def test_three_communes_update_their_tasks_and_an_overdue_one_is_reported_and_reminded(
        app, client, held, heads, hanoi):
    org = heads["org"]
    r = client.put(f"/api/v1/meetings/{held.id}/conclusions", json={"number": "12/TB-UBND", "body": "Kết luận"},
                   headers=org)
    assert r.status_code == 200 and r.json["status"] == "draft"
    today = utcnow().astimezone(LOCAL).date()
    overdue_day = today - timedelta(days=3)
    ids = {}
    for k in COMMUNES:
        r = client.post(f"/api/v1/meetings/{held.id}/conclusions/tasks", headers=org, json={
            "title": f"Nhiệm vụ {k}", "lead_unit": hanoi[k].ref,
            "due_on": (overdue_day if k == "vinh_phuc" else today + timedelta(days=20)).isoformat(),
            "supporting_units": [hanoi["stttt"].ref] if k == "phuc_xa" else []})
        assert r.status_code == 201, r.json
        ids[k] = r.json["id"]
    assert client.get(f"/api/v1/tasks/{ids['phuc_xa']}", headers=heads["phuc_xa"]).status_code == 404  # draft
    r = client.post(f"/api/v1/meetings/{held.id}/conclusions/publish", headers=org)
    assert r.status_code == 200 and len(r.json["tasks"]) == 3
    # each clerk updates its own unit's task, and no other
    for k, status in zip(COMMUNES, ("received", "done", "in_progress"), strict=True):
        r = client.post(f"/api/v1/tasks/{ids[k]}/updates", json={"status": status, "note": f"{k} báo cáo"},
                        headers=heads[k])
        assert r.status_code == 201 and r.json["status"] == status
        assert r.json["updates"][-1]["note"] == f"{k} báo cáo"
    r = client.post(f"/api/v1/tasks/{ids['phuc_xa']}/updates", json={"status": "done"}, headers=heads["truc_bach"])
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"
    r = client.post(f"/api/v1/tasks/{ids['phuc_xa']}/updates", json={"status": "done"}, headers=heads["dong_xuan"])
    assert r.status_code == 404
    r = client.post(f"/api/v1/tasks/{ids['phuc_xa']}/updates", json={"status": "assigned"},
                    headers=heads["phuc_xa"])
    assert r.status_code == 422 and "status" in r.json["error"]["details"]
    mine = client.get("/api/v1/tasks?unit=legacy:00006", headers=heads["vinh_phuc"]).json["tasks"]
    assert [t["standing"] for t in mine] == ["overdue"]
    assert client.get("/api/v1/tasks?unit=legacy:00001", headers=heads["vinh_phuc"]).status_code == 403
    # the overdue task shows in the report of its period
    period = f"{overdue_day:%Y-%m}"
    r = client.get(f"/api/v1/reports/followup?period={period}", headers=heads["viewer"])
    assert r.status_code == 200
    rows = {row["unit"]: row for row in r.json["units"]}
    assert rows["legacy:00006"]["overdue"] == 1 and rows["legacy:00006"]["assigned"] == 1
    assert client.get(f"/api/v1/reports/followup?period={period}", headers=heads["vinh_phuc"]).status_code == 403
    r = client.get(f"/api/v1/reports/followup?period={period}&format=csv", headers=heads["org"])
    lines = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert ["legacy:00006", "Phường Vĩnh Phúc", "1", "0", "0", "1", "0"] in lines
    # and the scheduler's job reminds its lead unit, once
    assert jobs.task_reminders(app) >= 1
    assert jobs.task_reminders(app) == 0
    reminder = db.session.scalar(select(TaskReminder).where(TaskReminder.task_id == ids["vinh_phuc"]))
    assert reminder.kind == "task_overdue"
    assert db.session.get(Notice, reminder.notice_id).unit_id == hanoi["vinh_phuc"].id


def test_evidence_by_the_api(client, held, heads, hanoi, make_user):
    from io import BytesIO

    org = heads["org"]
    r = client.post(f"/api/v1/meetings/{held.id}/conclusions/tasks", headers=org, json={
        "title": "Nộp báo cáo", "lead_unit": hanoi["phuc_xa"].ref, "due_on": "2099-01-01"})
    task_id = r.json["id"]
    client.post(f"/api/v1/meetings/{held.id}/conclusions/publish", headers=org)
    client.post(f"/api/v1/tasks/{task_id}/updates", json={"status": "done"}, headers=heads["phuc_xa"])
    r = client.post(f"/api/v1/tasks/{task_id}/evidence", headers=heads["phuc_xa"],
                    data={"file": (BytesIO(b"%PDF-1.4\n%%EOF\n"), "Kết quả.pdf")}, content_type="multipart/form-data")
    assert r.status_code == 201, r.json
    [evidence] = r.json["evidence"]
    assert evidence["filename"] == "Kết quả.pdf" and evidence["update_index"] == 0
    r = client.get(evidence["url"], headers=heads["viewer"])
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(evidence["url"], headers=heads["dong_xuan"]).status_code == 404
    r = client.post(f"/api/v1/tasks/{task_id}/evidence", headers=heads["phuc_xa"],
                    data={"file": (BytesIO(b"hello"), "a.pdf")}, content_type="multipart/form-data")
    assert r.status_code == 422 and "file" in r.json["error"]["details"]
    r = client.post(f"/api/v1/tasks/{task_id}/evidence", headers=heads["truc_bach"],
                    data={"file": (BytesIO(b"%PDF-1.4\n%%EOF\n"), "a.pdf")}, content_type="multipart/form-data")
    assert r.status_code == 403
