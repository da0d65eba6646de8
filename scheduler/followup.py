"""After the meeting: minutes with revisions, the conclusions notice, its tasks and their follow-up.

Verbs take the actor and plain values (unit references, dates) and raise `models.errors`
refusals naming the field; each runs in one write transaction, with its audit rows and the
notices it sends (through the outbox of `scheduler.notices`). `remind_tasks` is the job's
body: one reminder per task and kind, written in the job's own transaction.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import Meeting, Notice, Unit, User, audit, db
from models.database import write_transaction
from models.errors import N_, Forbidden, Msg, NotFound, StateConflict, ValidationFailed
from models.followup import (
    BODY_MAX,
    EVIDENCE_MAX,
    UPDATE_STATES,
    Conclusions,
    Minutes,
    MinutesRevision,
    Task,
    TaskEvidence,
    TaskReminder,
    TaskSupporter,
    TaskUpdate,
    deadline_of,
    local_today,
)
from models.permissions import can_manage_followup, can_see_meeting, can_update_task
from models.storage import storage_for
from models.text import has_visible, nfc
from models.units import find_unit

from .notices import attach_deliveries, clean_line

Gettext = Callable[[str], str]
TITLE_MAX, DETAIL_MAX, NOTE_MAX, NUMBER_MAX, SUPPORTERS_MAX = 300, 5000, 2000, 50, 50


def _may_manage(meeting: Meeting, actor: User) -> None:
    if not can_manage_followup(actor, meeting):
        raise Forbidden(N_("Only the meeting's organisers may do this."))


def _text(value, field: str, limit: int, required: bool = False) -> str | None:
    text = nfc(value if isinstance(value, str) else None if value is None else str(value))
    if not text or not has_visible(text):
        if required:
            raise ValidationFailed({field: N_("This field is required.")})
        return None
    if len(text) > limit:
        raise ValidationFailed({field: Msg(N_("At most %(limit)s characters."), limit=limit)})
    return text


def _tell(meeting: Meeting, unit_ids, kind: str, now: datetime) -> list[Notice]:
    notices = [Notice(unit_id=u, meeting_id=meeting.id, kind=kind, occurrences=1) for u in sorted(set(unit_ids))]
    attach_deliveries(notices, now)
    db.session.add_all(notices)
    return notices


# --- minutes ------------------------------------------------------------------------------

def minutes_of(meeting: Meeting) -> Minutes | None:
    return db.session.scalar(select(Minutes).where(Minutes.meeting_id == meeting.id))


def save_minutes(meeting: Meeting, body, actor: User, now: datetime) -> Minutes:
    """A new revision of the minutes (the same text as the latest one adds none)."""
    _may_manage(meeting, actor)
    text = _text(body, "body", BODY_MAX, required=True)
    with write_transaction():
        minutes = minutes_of(meeting)
        if minutes is None:
            minutes = Minutes(meeting_id=meeting.id, status="draft", updated_at=now)
            db.session.add(minutes)
            db.session.flush()
        if minutes.latest is None or minutes.latest.body != text:
            number = (minutes.latest.number if minutes.latest else 0) + 1
            minutes.revisions.append(MinutesRevision(number=number, body=text, author_id=actor.id, created_at=now))
            minutes.updated_at = now
            db.session.flush()
            audit.record(actor, "minutes_saved", "meeting", meeting.id, None, {"revision": number})
    return minutes


def publish_minutes(meeting: Meeting, actor: User, now: datetime) -> Minutes:
    """Publish the latest revision to the participants, who are told through the outbox."""
    _may_manage(meeting, actor)
    with write_transaction():
        minutes = minutes_of(meeting)
        if minutes is None or minutes.latest is None:
            raise StateConflict({"body": N_("Write the minutes before publishing them.")})
        if minutes.status == "published" and minutes.published_number == minutes.latest.number:
            return minutes
        minutes.status, minutes.published_number = "published", minutes.latest.number
        minutes.published_at, minutes.published_by_id = now, actor.id
        _tell(meeting, [i.unit_id for i in meeting.invitations], "minutes_published", now)
        audit.record(actor, "minutes_published", "meeting", meeting.id, None, {"revision": minutes.published_number})
    return minutes


def readable_minutes(meeting: Meeting, user: User) -> tuple[Minutes | None, MinutesRevision | None]:
    """The minutes and the revision the user may read: the latest for organisers, else the published."""
    minutes = minutes_of(meeting)
    if minutes is None:
        return None, None
    if can_manage_followup(user, meeting):
        return minutes, minutes.latest
    return (minutes, minutes.published) if minutes.published is not None else (None, None)


# --- the conclusions notice and its tasks ---------------------------------------------------

def conclusions_of(meeting: Meeting) -> Conclusions | None:
    return db.session.scalar(select(Conclusions).where(Conclusions.meeting_id == meeting.id))


def readable_conclusions(meeting: Meeting, user: User) -> Conclusions | None:
    c = conclusions_of(meeting)
    if c is None or can_manage_followup(user, meeting):
        return c
    return c if c.status == "published" and can_see_meeting(user, meeting) else None


def _ensure_conclusions(meeting: Meeting, actor: User, now: datetime) -> Conclusions:
    c = conclusions_of(meeting)
    if c is None:
        c = Conclusions(meeting_id=meeting.id, body="", status="draft", created_by_id=actor.id, created_at=now)
        db.session.add(c)
        db.session.flush()
    return c


def save_conclusions(meeting: Meeting, data: dict, actor: User, now: datetime) -> Conclusions:
    """Write the notice's number and text (published or not: a correction keeps its tasks)."""
    _may_manage(meeting, actor)
    number = _text(data.get("number"), "number", NUMBER_MAX)
    body = _text(data.get("body"), "body", BODY_MAX) or ""
    with write_transaction():
        c = _ensure_conclusions(meeting, actor, now)
        before = {"number": c.number, "body": c.body}
        c.number, c.body = number, body
        audit.record(actor, "conclusions_saved", "meeting", meeting.id, before, {"number": number, "body": body})
    return c


def _unit(ref, field: str) -> Unit:
    unit = find_unit(ref) if isinstance(ref, str) else None
    if unit is None:
        raise ValidationFailed({field: Msg(N_("No unit %(ref)s."), ref=repr(ref if isinstance(ref, str) else ""))})
    if not unit.active:
        raise ValidationFailed({field: Msg(N_("%(unit)s is dissolved."), unit=unit.name)})
    return unit


def parse_due(value, meeting: Meeting) -> date:
    """A due date (a date, or ISO yyyy-mm-dd) not before the meeting's local day."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, date) or isinstance(value, datetime) or not 1900 <= value.year <= 2200:
        raise ValidationFailed({"due_on": N_("Give the due date as a date.")})
    if value < local_today(meeting.start_at):
        raise ValidationFailed({"due_on": N_("The due date cannot be before the meeting.")})
    return value


def add_task(meeting: Meeting, data: dict, actor: User, now: datetime) -> Task:
    """Assign a task to a lead unit (and supporting units); told at once if the notice is out."""
    _may_manage(meeting, actor)
    title = _text(data.get("title"), "title", TITLE_MAX, required=True)
    detail = _text(data.get("detail"), "detail", DETAIL_MAX)
    lead = _unit(data.get("lead_unit"), "lead_unit")
    due_on = parse_due(data.get("due_on"), meeting)
    refs = data.get("supporting_units") or []
    if not isinstance(refs, list) or len(refs) > SUPPORTERS_MAX:
        raise ValidationFailed({"supporting_units": Msg(N_("At most %(max)s units."), max=SUPPORTERS_MAX)})
    supporters: list[Unit] = []
    for ref in refs:
        unit = _unit(ref, "supporting_units")
        if unit.id == lead.id:
            raise ValidationFailed({"supporting_units": N_("The lead unit cannot also support the task.")})
        if unit not in supporters:
            supporters.append(unit)
    with write_transaction():
        c = _ensure_conclusions(meeting, actor, now)
        task = Task(conclusions_id=c.id, title=title, detail=detail, lead_unit_id=lead.id, due_on=due_on,
                    deadline_at=deadline_of(due_on), status="assigned", created_at=now, updated_at=now,
                    supporters=[TaskSupporter(unit_id=u.id) for u in supporters])
        db.session.add(task)
        db.session.flush()
        if c.status == "published":
            _tell(meeting, [lead.id] + [u.id for u in supporters], "tasks_assigned", now)
        audit.record(actor, "task_added", "task", task.id, None,
                     {"title": title, "lead_unit": lead.ref, "due_on": due_on.isoformat(),
                      "supporting_units": [u.ref for u in supporters]})
    return task


def remove_task(task: Task, actor: User) -> None:
    """Take a task off a notice that is still a draft."""
    _may_manage(task.conclusions.meeting, actor)
    if task.conclusions.status == "published":
        raise ValidationFailed({"task": N_("A published task cannot be removed.")})
    with write_transaction():
        audit.record(actor, "task_removed", "task", task.id, {"title": task.title}, None)
        db.session.delete(task)


def publish_conclusions(meeting: Meeting, actor: User, now: datetime) -> Conclusions:
    """Issue the notice: each lead and supporting unit is told of its tasks."""
    _may_manage(meeting, actor)
    with write_transaction():
        c = conclusions_of(meeting)
        if c is None or not c.tasks and not c.body:
            raise StateConflict({"body": N_("Write the conclusions or assign a task before publishing.")})
        if c.status == "published":
            return c
        c.status, c.published_at = "published", now
        units = {t.lead_unit_id for t in c.tasks} | {s.unit_id for t in c.tasks for s in t.supporters}
        _tell(meeting, units, "tasks_assigned", now)
        audit.record(actor, "conclusions_published", "meeting", meeting.id, None, {"tasks": len(c.tasks)})
    return c


def _may_update(task: Task, actor: User) -> None:
    if task.conclusions.status != "published":
        raise NotFound(N_("No such task."))
    if not can_update_task(actor, task):
        raise Forbidden(N_("Only the lead unit's clerk or the meeting's organisers may update this task."))


def _checked_files(files, settings) -> list[tuple[bytes, str, str]]:
    """(bytes, clean name, content type) of each evidence file, by the documents' one rule."""
    from .briefing import clean_upload

    files = [f for f in files or () if f[0]]
    if len(files) > EVIDENCE_MAX:
        raise ValidationFailed({"file": Msg(N_("At most %(max)s files at a time."), max=EVIDENCE_MAX)})
    limit = int((settings or {}).get("DOCUMENT_MAX_BYTES") or 0)
    return [(data, *clean_upload(data, name, limit)) for data, name in files]


def _keep_files(task: Task, update_id: int | None, files, actor: User, now: datetime, settings) -> list[TaskEvidence]:
    store = storage_for(settings or {})
    kept = [TaskEvidence(task_id=task.id, update_id=update_id, filename=name, content_type=kind, size=len(data),
                         sha256=hashlib.sha256(data).hexdigest(), storage_key=store.put(data),
                         uploaded_by_id=actor.id, created_at=now) for data, name, kind in files]
    db.session.add_all(kept)
    db.session.flush()
    for e in kept:
        audit.record(actor, "upload", "task_evidence", e.id, None,
                     {"task_id": task.id, "filename": e.filename, "size": e.size})
    return kept


def update_task(task: Task, data: dict, actor: User, now: datetime, files=(), settings=None) -> TaskUpdate:
    """The lead unit reports received, in progress or done, with a note (done stamps the instant)
    and optional evidence files ((bytes, file name) pairs, checked like the meeting's documents)."""
    _may_update(task, actor)
    status = data.get("status")
    if status not in UPDATE_STATES:
        raise ValidationFailed({"status": N_("Choose received, in progress or done.")})
    note = _text(data.get("note"), "note", NOTE_MAX)
    checked = _checked_files(files, settings)
    with write_transaction():
        before = {"status": task.status, "done_at": task.done_at.isoformat() if task.done_at else None}
        if status == "done" and task.done_at is None:
            task.done_at = now
        elif status != "done":
            task.done_at = None
        task.status, task.updated_at = status, now
        update = TaskUpdate(task_id=task.id, status=status, note=note, actor_id=actor.id, created_at=now)
        db.session.add(update)
        db.session.flush()
        _keep_files(task, update.id, checked, actor, now, settings)
        audit.record(actor, "task_updated", "task", task.id, before,
                     {"status": status, "done_at": task.done_at.isoformat() if task.done_at else None})
    return update


def add_evidence(task: Task, files, actor: User, now: datetime, settings) -> list[TaskEvidence]:
    """Attach evidence files to the task's latest status report (or to the task itself)."""
    _may_update(task, actor)
    checked = _checked_files(files, settings)
    if not checked:
        raise ValidationFailed({"file": N_("Choose a file.")})
    with write_transaction():
        return _keep_files(task, task.updates[-1].id if task.updates else None, checked, actor, now, settings)


def evidence_bytes(evidence: TaskEvidence, settings) -> bytes:
    return storage_for(settings).get(evidence.storage_key)


def tasks_of_unit(unit: Unit):
    """A SELECT of the published tasks a unit leads or supports, soonest due first."""
    supported = select(TaskSupporter.task_id).where(TaskSupporter.unit_id == unit.id)
    return (select(Task).join(Conclusions, Conclusions.id == Task.conclusions_id)
            .where(Conclusions.status == "published", (Task.lead_unit_id == unit.id) | Task.id.in_(supported))
            .order_by(Task.done_at.is_not(None), Task.due_on, Task.id))


# --- reminders ----------------------------------------------------------------------------

def remind_tasks(now: datetime, days_before: int) -> int:
    """Before the due day (from `days_before` days ahead) and once overdue: one notice per task
    and kind to the lead unit; returns how many were written."""
    today = local_today(now)
    added = 0
    with write_transaction():
        tasks = db.session.scalars(
            select(Task).join(Conclusions, Conclusions.id == Task.conclusions_id)
            .where(Conclusions.status == "published", Task.done_at.is_(None),
                   Task.due_on <= today + timedelta(days=days_before))
            .order_by(Task.id)).all()
        ids = [t.id for t in tasks]
        sent = set(db.session.execute(select(TaskReminder.task_id, TaskReminder.kind)
                                      .where(TaskReminder.task_id.in_(ids))).all()) if ids else set()
        for task in tasks:
            kind = "task_overdue" if now >= task.deadline_at else "task_due_soon"
            if (task.id, kind) in sent:
                continue
            try:
                with db.session.begin_nested():
                    notice = _tell(task.conclusions.meeting, [task.lead_unit_id], kind, now)[0]
                    db.session.flush()
                    db.session.add(TaskReminder(task_id=task.id, kind=kind, notice_id=notice.id, created_at=now))
                    db.session.flush()
            except IntegrityError:  # another scheduler wrote it first
                continue
            added += 1
    return added


def reminded_task(notice: Notice) -> Task | None:
    return db.session.scalar(select(Task).join(TaskReminder, TaskReminder.task_id == Task.id)
                             .where(TaskReminder.notice_id == notice.id))


SUBJECTS = {"task_due_soon": N_("Task due on %(due)s: %(title)s"),
            "task_overdue": N_("Task overdue since %(due)s: %(title)s")}
INTROS = {"task_due_soon": N_("A task your unit leads is due soon. Please report its status."),
          "task_overdue": N_("A task your unit leads is past its due date. Please report its status.")}


def task_subject(notice: Notice, gettext: Gettext) -> str:
    task = reminded_task(notice)
    title = clean_line(task.title) if task else ""
    due = f"{task.due_on:%d/%m/%Y}" if task else ""
    return clean_line(gettext(SUBJECTS[notice.kind]) % {"due": due, "title": title})


def task_lines(notice: Notice, gettext: Gettext, config) -> list[tuple[str, str | None]]:
    """A task reminder's e-mail lines, every sentence from the catalog."""
    task = reminded_task(notice)
    lines: list[tuple[str, str | None]] = [
        (gettext(N_("To: %(unit)s")) % {"unit": notice.unit.name}, None), ("", None),
        (gettext(INTROS[notice.kind]), None), ("", None)]
    if task is not None:
        lines.append((gettext(N_("Task: %(title)s")) % {"title": clean_line(task.title)}, None))
        lines.append((gettext(N_("Due date: %(date)s")) % {"date": f"{task.due_on:%d/%m/%Y}"}, None))
        lines.append((gettext(N_("Meeting: %(title)s")) % {"title": clean_line(notice.meeting.title)}, None))
        link = f"{config['PUBLIC_URL'].rstrip('/')}/tasks/{task.id}"
        lines += [("", None), (gettext(N_("Open the task: %(url)s")) % {"url": link}, link)]
    lines += [("", None), (gettext(N_("Giao Ban: the meeting and videoconference schedule")), None)]
    return lines
