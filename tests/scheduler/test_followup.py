"""Minutes, the conclusions notice, its tasks, the clerks' updates and the reminders (the verbs)."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from models import AuditLog, Delivery, Notice, TaskReminder, TaskUpdate, db
from models.base import LOCAL
from models.errors import Forbidden, NotFound, ValidationFailed
from models.followup import deadline_of
from scheduler import followup
from scheduler.notices import build_email, catalog_translator

MEETING_START = datetime(2030, 3, 4, 1, 0, tzinfo=UTC)  # 08:00 local, Monday 4/3/2030


def local(y, m, d, hh=0, mm=0, ss=0):
    return datetime(y, m, d, hh, mm, ss, tzinfo=LOCAL).astimezone(UTC)


@pytest.fixture
def briefing(hanoi, make_meeting):
    return make_meeting(hanoi["ba_dinh"], MEETING_START, participants=[hanoi["phuc_xa"], hanoi["truc_bach"],
                                                                       hanoi["vinh_phuc"]], status="held",
                        outcome_mode="online", title="Giao ban quận tháng 3")


@pytest.fixture
def people(hanoi, make_user):
    return {"org": make_user("organizer", hanoi["ba_dinh"]), "org_out": make_user("organizer", hanoi["hoan_kiem"]),
            "admin": make_user("admin"),
            **{k: make_user("clerk", hanoi[k]) for k in ("phuc_xa", "truc_bach", "vinh_phuc", "dong_xuan")}}


def notices_of(kind):
    return db.session.scalars(select(Notice).where(Notice.kind == kind).order_by(Notice.id)).all()


def test_the_deadline_is_the_end_of_the_due_day_in_hanoi():
    assert deadline_of(date(2030, 3, 10)) == datetime(2030, 3, 10, 17, 0, tzinfo=UTC)


def test_minutes_keep_their_revisions_and_participants_read_the_published_one(app, briefing, people):
    org, clerk = people["org"], people["phuc_xa"]
    assert followup.readable_minutes(briefing, clerk) == (None, None)
    followup.save_minutes(briefing, "# Biên bản\n\nDự thảo 1", org, MEETING_START)
    followup.save_minutes(briefing, "# Biên bản\n\nDự thảo 1", org, MEETING_START)  # unchanged: no revision
    minutes = followup.save_minutes(briefing, "# Biên bản\n\nDự thảo 2", org, MEETING_START)
    assert [r.number for r in minutes.revisions] == [1, 2]
    assert followup.readable_minutes(briefing, clerk) == (None, None)  # a draft is the organiser's
    followup.publish_minutes(briefing, org, MEETING_START)
    assert followup.readable_minutes(briefing, clerk)[1].body.endswith("Dự thảo 2")
    followup.save_minutes(briefing, "# Biên bản\n\nSửa sau khi ban hành", org, MEETING_START)
    assert followup.readable_minutes(briefing, clerk)[1].number == 2  # still the published one
    assert followup.readable_minutes(briefing, org)[1].number == 3
    told = notices_of("minutes_published")
    assert sorted(n.unit_id for n in told) == sorted(i.unit_id for i in briefing.invitations)


@pytest.mark.parametrize("body, field", [("", "body"), ("   \u200b ", "body"), ("x" * 100_001, "body")])
def test_bad_minutes_are_refused_naming_the_field(app, briefing, people, body, field):
    with pytest.raises(ValidationFailed) as exc:
        followup.save_minutes(briefing, body, people["org"], MEETING_START)
    assert field in exc.value.details
    assert followup.minutes_of(briefing) is None


def test_only_organisers_write_minutes(app, briefing, people):
    for who in ("org_out", "phuc_xa"):
        with pytest.raises(Forbidden):
            followup.save_minutes(briefing, "x", people[who], MEETING_START)
    with pytest.raises(ValidationFailed):
        followup.publish_minutes(briefing, people["org"], MEETING_START)


def assign_three(briefing, people, hanoi, due=date(2030, 3, 15)):
    org = people["org"]
    followup.save_conclusions(briefing, {"number": "12/TB-UBND", "body": "Kết luận của Chủ tịch."}, org,
                              MEETING_START)
    tasks = [followup.add_task(briefing, {"title": f"Báo cáo {hanoi[k].name}", "lead_unit": hanoi[k].ref,
                                          "due_on": due.isoformat(),
                                          "supporting_units": [hanoi["stttt"].ref] if k == "phuc_xa" else []},
                               org, MEETING_START)
             for k in ("phuc_xa", "truc_bach", "vinh_phuc")]
    followup.publish_conclusions(briefing, org, MEETING_START)
    return tasks


def test_a_notice_with_tasks_for_three_communes_each_updated_by_its_clerk(app, briefing, people, hanoi):
    tasks = assign_three(briefing, people, hanoi)
    told = notices_of("tasks_assigned")
    assert sorted(n.unit_id for n in told) == sorted([hanoi[k].id for k in ("phuc_xa", "truc_bach", "vinh_phuc")]
                                                     + [hanoi["stttt"].id])
    for task, clerk, status in zip(tasks, ("phuc_xa", "truc_bach", "vinh_phuc"),
                                   ("received", "in_progress", "done"), strict=True):
        followup.update_task(task, {"status": status, "note": f"{clerk}: {status}"}, people[clerk],
                             local(2030, 3, 10, 9))
    assert [t.status for t in tasks] == ["received", "in_progress", "done"]
    assert tasks[2].done_at == local(2030, 3, 10, 9) and tasks[0].done_at is None
    assert db.session.scalar(select(func.count(TaskUpdate.id))) == 3
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "task_updated")) == 3


def test_only_the_lead_units_clerk_and_the_organisers_update(app, briefing, people, hanoi):
    task = assign_three(briefing, people, hanoi)[0]
    for who in ("truc_bach", "dong_xuan", "org_out"):
        with pytest.raises(Forbidden):
            followup.update_task(task, {"status": "received"}, people[who], MEETING_START)
    followup.update_task(task, {"status": "received"}, people["org"], MEETING_START)
    followup.update_task(task, {"status": "in_progress"}, people["admin"], MEETING_START)
    with pytest.raises(ValidationFailed) as exc:
        followup.update_task(task, {"status": "assigned"}, people["phuc_xa"], MEETING_START)
    assert "status" in exc.value.details
    with pytest.raises(ValidationFailed) as exc:
        followup.update_task(task, {"status": "done", "note": "x" * 2001}, people["phuc_xa"], MEETING_START)
    assert "note" in exc.value.details and task.status == "in_progress"


def test_a_draft_task_cannot_be_updated_and_can_be_removed(app, briefing, people, hanoi):
    task = followup.add_task(briefing, {"title": "Nháp", "lead_unit": hanoi["phuc_xa"].ref,
                                        "due_on": "2030-03-20"}, people["org"], MEETING_START)
    with pytest.raises(NotFound):
        followup.update_task(task, {"status": "received"}, people["phuc_xa"], MEETING_START)
    followup.remove_task(task, people["org"])
    assert followup.conclusions_of(briefing).tasks == []


@pytest.mark.parametrize("data, field", [
    ({"lead_unit": "legacy:00001", "due_on": "2030-03-20"}, "title"),
    ({"title": "x" * 301, "lead_unit": "legacy:00001", "due_on": "2030-03-20"}, "title"),
    ({"title": "T", "lead_unit": "legacy:99999", "due_on": "2030-03-20"}, "lead_unit"),
    ({"title": "T", "lead_unit": None, "due_on": "2030-03-20"}, "lead_unit"),
    ({"title": "T", "lead_unit": "legacy:00001", "due_on": "20/03/2030"}, "due_on"),
    ({"title": "T", "lead_unit": "legacy:00001", "due_on": "2030-03-03"}, "due_on"),  # before the meeting
    ({"title": "T", "lead_unit": "legacy:00001", "due_on": "2030-03-20",
      "supporting_units": ["legacy:00001"]}, "supporting_units"),
    ({"title": "T", "lead_unit": "legacy:00001", "due_on": "2030-03-20",
      "supporting_units": ["nope"]}, "supporting_units"),
])
def test_bad_tasks_are_refused_naming_the_field(app, briefing, people, data, field):
    with pytest.raises(ValidationFailed) as exc:
        followup.add_task(briefing, data, people["org"], MEETING_START)
    assert list(exc.value.details) == [field]
    assert followup.conclusions_of(briefing) is None  # nothing half-written


def test_done_at_23_59_local_on_the_due_day_is_on_time_and_overdue_from_midnight(app, briefing, people, hanoi):
    on_time, late, waiting = assign_three(briefing, people, hanoi, due=date(2030, 3, 15))
    followup.update_task(on_time, {"status": "done"}, people["phuc_xa"], local(2030, 3, 15, 23, 59, 59))
    followup.update_task(late, {"status": "done"}, people["truc_bach"], local(2030, 3, 16, 0, 0, 0))
    assert on_time.standing(local(2030, 3, 20)) == "done_on_time"
    assert late.standing(local(2030, 3, 20)) == "done_late"
    assert waiting.standing(local(2030, 3, 15, 23, 59, 59)) == "open"
    assert waiting.standing(local(2030, 3, 16)) == "overdue"


def test_reminders_before_the_due_day_and_once_overdue_each_once(app, briefing, people, hanoi):
    tasks = assign_three(briefing, people, hanoi, due=date(2030, 3, 15))
    followup.update_task(tasks[2], {"status": "done"}, people["vinh_phuc"], local(2030, 3, 11))
    assert followup.remind_tasks(local(2030, 3, 12, 8), days_before=2) == 0   # 3 days ahead: not yet
    assert followup.remind_tasks(local(2030, 3, 13, 8), days_before=2) == 2   # the two not done
    assert followup.remind_tasks(local(2030, 3, 14, 8), days_before=2) == 0   # once per kind
    followup.update_task(tasks[1], {"status": "done"}, people["truc_bach"], local(2030, 3, 15, 12))
    assert followup.remind_tasks(local(2030, 3, 15, 23, 59), days_before=2) == 0
    assert followup.remind_tasks(local(2030, 3, 16, 0, 0), days_before=2) == 1  # only the open one
    assert followup.remind_tasks(local(2030, 3, 17), days_before=2) == 0
    kinds = db.session.execute(select(TaskReminder.task_id, TaskReminder.kind).order_by(TaskReminder.id)).all()
    assert kinds == [(tasks[0].id, "task_due_soon"), (tasks[1].id, "task_due_soon"),
                     (tasks[0].id, "task_overdue")]
    [overdue] = notices_of("task_overdue")
    assert overdue.unit_id == hanoi["phuc_xa"].id


def test_a_reminder_e_mail_names_the_task_in_vietnamese(app, briefing, people, hanoi):
    people["phuc_xa"].email_notices = True
    db.session.commit()
    task = assign_three(briefing, people, hanoi, due=date(2030, 3, 15))[0]
    followup.remind_tasks(local(2030, 3, 16, 8), days_before=2)
    [notice] = [n for n in notices_of("task_overdue") if n.unit_id == hanoi["phuc_xa"].id]
    delivery = db.session.scalar(select(Delivery).where(Delivery.notice_id == notice.id,
                                                        Delivery.channel == "email"))
    assert delivery is not None
    gettext = catalog_translator()("vi")
    message = build_email(delivery, gettext, app.config)
    assert "15/03/2030" in message["Subject"] and task.title in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert f"/tasks/{task.id}" in text and "Nhiệm vụ" in text


SETTINGS = {"DOCUMENT_MAX_BYTES": 10_000, "DOCUMENT_STORAGE": "database"}
PDF = b"%PDF-1.4\n%%EOF\n"


def test_evidence_files_go_through_the_storage_checked_by_content(app, briefing, people, hanoi):
    from models import TaskEvidence

    task = assign_three(briefing, people, hanoi)[0]
    followup.update_task(task, {"status": "done", "note": "Đã nộp"}, people["phuc_xa"], MEETING_START,
                         [(PDF, "Báo cáo kết quả.pdf")], SETTINGS)
    [evidence] = task.evidence
    assert evidence.filename == "Báo cáo kết quả.pdf" and evidence.content_type == "application/pdf"
    assert evidence.update_id == task.updates[-1].id
    assert followup.evidence_bytes(evidence, SETTINGS) == PDF
    for files, field in (([(b"<html>not a pdf</html>", "gia.pdf")], "file"),
                         ([(PDF, "x.pdf")] * 6, "file"),
                         ([(PDF + b"x" * 10_000, "big.pdf")], "file")):
        with pytest.raises(ValidationFailed) as exc:
            followup.update_task(task, {"status": "in_progress"}, people["phuc_xa"], MEETING_START, files, SETTINGS)
        assert list(exc.value.details) == [field]
    assert task.status == "done" and len(task.updates) == 1  # nothing half-written
    assert db.session.scalar(select(func.count(TaskEvidence.id))) == 1
    with pytest.raises(Forbidden):
        followup.add_evidence(task, [(PDF, "y.pdf")], people["truc_bach"], MEETING_START, SETTINGS)
    followup.add_evidence(task, [(PDF, "thêm.pdf")], people["phuc_xa"], MEETING_START, SETTINGS)
    assert [e.filename for e in task.evidence] == ["Báo cáo kết quả.pdf", "thêm.pdf"]
