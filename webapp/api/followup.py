"""API: a meeting's minutes and conclusions notice, its tasks, their updates, the follow-up report."""
from __future__ import annotations

from apiflask import HTTPError, Schema, fields, validators
from apiflask.schemas import FileSchema
from flask import current_app, jsonify
from flask_babel import gettext as _
from marshmallow import RAISE

from models import Task, db
from models.base import utcnow
from models.errors import DomainError
from models.followup import STANDINGS, UPDATE_STATES
from models.permissions import can_manage_followup, can_see_task, in_scope
from reports.access import report_scope
from reports.followup import followup_report, followup_tables, report_heading
from reports.periods import PERIOD_PATTERN, parse_period
from scheduler import followup

from ..downloads import file_download, sheet_download
from .common import actor, auth, bp, fail, unit_or_404
from .meetings import meeting_or_404
from .schemas import LocalDateTime

PERIOD = validators.Regexp(PERIOD_PATTERN,
                           error="Give a month (2019-03), a quarter (2019-Q1) or a year (2019).")


class MinutesIn(Schema):
    body = fields.String(required=True, validate=validators.Length(min=1, max=100_000),
                         metadata={"description": "CommonMark; raw HTML is shown as text."})


class RevisionOut(Schema):
    number = fields.Integer(required=True)
    body = fields.String(required=True)
    author = fields.String(allow_none=True)
    created_at = LocalDateTime(required=True)


class MinutesOut(Schema):
    meeting_id = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"description": "draft or published"})
    published_revision = fields.Integer(allow_none=True)
    published_at = LocalDateTime(allow_none=True)
    revision = fields.Nested(RevisionOut, required=True, metadata={"description": "What the caller may read"})
    revisions = fields.List(fields.Integer(), required=True,
                            metadata={"description": "Every revision's number (organisers), or the published one"})


class ConclusionsIn(Schema):
    number = fields.String(allow_none=True, validate=validators.Length(max=50), metadata={"example": "12/TB-UBND"})
    body = fields.String(allow_none=True, validate=validators.Length(max=100_000))


class TaskIn(Schema):
    title = fields.String(required=True, validate=validators.Length(min=1, max=300))
    detail = fields.String(allow_none=True, validate=validators.Length(max=5000))
    lead_unit = fields.String(required=True, validate=validators.Length(max=40), metadata={"example": "legacy:00001"})
    due_on = fields.Date(required=True, metadata={"description": "The last local day to be done on time"})
    supporting_units = fields.List(fields.String(validate=validators.Length(max=40)), load_default=list,
                                   validate=validators.Length(max=50))


class TaskUpdateIn(Schema):
    status = fields.String(required=True, validate=validators.OneOf(list(UPDATE_STATES)))
    note = fields.String(allow_none=True, validate=validators.Length(max=2000))


class UpdateOut(Schema):
    status = fields.String(required=True)
    note = fields.String(allow_none=True)
    by = fields.String(allow_none=True)
    at = LocalDateTime(required=True)


class EvidenceOut(Schema):
    id = fields.Integer(required=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    update_index = fields.Integer(allow_none=True, metadata={"description": "Which of `updates` it came with"})
    url = fields.String(required=True)


class EvidenceUpload(Schema):
    # Not `required`: who may attach is decided before what was sent (a missing file is the verb's 422).
    file = fields.File(load_default=None, metadata={"description": "Required."})


class TaskOut(Schema):
    id = fields.Integer(required=True)
    meeting_id = fields.Integer(required=True)
    title = fields.String(required=True)
    detail = fields.String(allow_none=True)
    lead_unit = fields.String(required=True)
    lead_unit_name = fields.String(required=True)
    supporting_units = fields.List(fields.String(), required=True)
    due_on = fields.Date(required=True)
    status = fields.String(required=True, metadata={"description": "assigned, received, in_progress or done"})
    standing = fields.String(required=True, metadata={"description": ", ".join(STANDINGS)})
    done_at = LocalDateTime(allow_none=True)
    updates = fields.List(fields.Nested(UpdateOut), required=True)
    evidence = fields.List(fields.Nested(EvidenceOut), required=True)


class ConclusionsOut(Schema):
    meeting_id = fields.Integer(required=True)
    number = fields.String(allow_none=True)
    body = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "draft or published"})
    published_at = LocalDateTime(allow_none=True)
    tasks = fields.List(fields.Nested(TaskOut), required=True)


class TasksQuery(Schema):
    unit = fields.String(required=True, validate=validators.Length(max=40), metadata={"example": "legacy:00001"})


class TasksOut(Schema):
    tasks = fields.List(fields.Nested(TaskOut), required=True)


class FollowupQuery(Schema):
    period = fields.String(required=True, validate=PERIOD, metadata={"example": "2030-03"})
    format = fields.String(load_default="json", validate=validators.OneOf(["json", "csv", "xlsx"]))


class FollowupRowOut(Schema):
    unit = fields.String(required=True)
    unit_name = fields.String(required=True)
    level = fields.String(required=True)
    assigned = fields.Integer(required=True)
    done_on_time = fields.Integer(required=True)
    done_late = fields.Integer(required=True)
    overdue = fields.Integer(required=True)
    open = fields.Integer(required=True)


class FollowupTotalOut(Schema):
    assigned = fields.Integer(required=True)
    done_on_time = fields.Integer(required=True)
    done_late = fields.Integer(required=True)
    overdue = fields.Integer(required=True)
    open = fields.Integer(required=True)


class FollowupReportOut(Schema):
    period = fields.String(required=True)
    as_of = fields.String(required=True)
    units = fields.List(fields.Nested(FollowupRowOut), required=True)
    total = fields.Nested(FollowupTotalOut, required=True)


def task_dict(task: Task, now) -> dict:
    return {"id": task.id, "meeting_id": task.conclusions.meeting_id, "title": task.title, "detail": task.detail,
            "lead_unit": task.lead_unit.ref, "lead_unit_name": task.lead_unit.name,
            "supporting_units": [s.unit.ref for s in task.supporters], "due_on": task.due_on,
            "status": task.status, "standing": task.standing(now), "done_at": task.done_at,
            "updates": [{"status": u.status, "note": u.note, "by": u.actor.name if u.actor else None,
                         "at": u.created_at} for u in task.updates],
            "evidence": [{"id": e.id, "filename": e.filename, "content_type": e.content_type, "size": e.size,
                          "update_index": next((i for i, u in enumerate(task.updates) if u.id == e.update_id), None),
                          "url": f"/api/v1/tasks/{task.id}/evidence/{e.id}"} for e in task.evidence]}


def conclusions_dict(c, now) -> dict:
    return {"meeting_id": c.meeting_id, "number": c.number, "body": c.body, "status": c.status,
            "published_at": c.published_at, "tasks": [task_dict(t, now) for t in c.tasks]}


def _minutes_dict(meeting) -> dict:
    minutes, revision = followup.readable_minutes(meeting, actor())
    if revision is None:
        raise HTTPError(404, _("No minutes for this meeting yet."), extra_data={"code": "not_found"})
    numbers = [r.number for r in minutes.revisions] if revision is minutes.latest and \
        can_manage_followup(actor(), meeting) else [revision.number]
    return {"meeting_id": meeting.id, "status": minutes.status, "published_revision": minutes.published_number,
            "published_at": minutes.published_at, "revisions": numbers,
            "revision": {"number": revision.number, "body": revision.body,
                         "author": revision.author.name if revision.author else None,
                         "created_at": revision.created_at}}


def _call(verb, *args):
    try:
        return verb(*args)
    except DomainError as exc:
        fail(exc)


@bp.get("/meetings/<int:meeting_id>/minutes")
@bp.auth_required(auth)
@bp.output(MinutesOut)
@bp.doc(summary="A meeting's minutes",
        description="Organisers read the latest revision; participants the published one.", responses=[404])
def get_minutes(meeting_id):
    return _minutes_dict(meeting_or_404(meeting_id))


@bp.put("/meetings/<int:meeting_id>/minutes")
@bp.auth_required(auth)
@bp.input(MinutesIn, location="json")
@bp.output(MinutesOut)
@bp.doc(summary="Save the minutes as a new revision (a draft until published)", responses=[403, 404, 422])
def put_minutes(meeting_id, json_data):
    m = meeting_or_404(meeting_id)
    _call(followup.save_minutes, m, json_data["body"], actor(), utcnow())
    return _minutes_dict(m)


@bp.post("/meetings/<int:meeting_id>/minutes/publish")
@bp.auth_required(auth)
@bp.output(MinutesOut)
@bp.doc(summary="Publish the latest revision to the participants (each invited unit is told)",
        responses=[403, 404, 422])
def publish_minutes(meeting_id):
    m = meeting_or_404(meeting_id)
    _call(followup.publish_minutes, m, actor(), utcnow())
    return _minutes_dict(m)


def _conclusions_or_404(meeting):
    c = followup.readable_conclusions(meeting, actor())
    if c is None:
        raise HTTPError(404, _("No conclusions notice for this meeting yet."), extra_data={"code": "not_found"})
    return c


@bp.get("/meetings/<int:meeting_id>/conclusions")
@bp.auth_required(auth)
@bp.output(ConclusionsOut)
@bp.doc(summary="A meeting's conclusions notice and its tasks",
        description="A draft is its organisers' only.", responses=[404])
def get_conclusions(meeting_id):
    return conclusions_dict(_conclusions_or_404(meeting_or_404(meeting_id)), utcnow())


@bp.put("/meetings/<int:meeting_id>/conclusions")
@bp.auth_required(auth)
@bp.input(ConclusionsIn, location="json")
@bp.output(ConclusionsOut)
@bp.doc(summary="Write the conclusions notice's number and text", responses=[403, 404, 422])
def put_conclusions(meeting_id, json_data):
    m = meeting_or_404(meeting_id)
    return conclusions_dict(_call(followup.save_conclusions, m, json_data, actor(), utcnow()), utcnow())


@bp.post("/meetings/<int:meeting_id>/conclusions/tasks")
@bp.auth_required(auth)
@bp.input(TaskIn, location="json")
@bp.output(TaskOut, status_code=201)
@bp.doc(summary="Assign a task to a lead unit (and supporting units)",
        description="Once the notice is published, the units are told at once.", responses=[403, 404, 422])
def add_task(meeting_id, json_data):
    m = meeting_or_404(meeting_id)
    return task_dict(_call(followup.add_task, m, json_data, actor(), utcnow()), utcnow())


@bp.post("/meetings/<int:meeting_id>/conclusions/publish")
@bp.auth_required(auth)
@bp.output(ConclusionsOut)
@bp.doc(summary="Publish the conclusions notice: each lead and supporting unit is told",
        responses=[403, 404, 422])
def publish_conclusions(meeting_id):
    m = meeting_or_404(meeting_id)
    return conclusions_dict(_call(followup.publish_conclusions, m, actor(), utcnow()), utcnow())


def task_or_404(task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None or not can_see_task(actor(), task):
        raise HTTPError(404, _("No such task."), extra_data={"code": "not_found"})
    return task


@bp.get("/tasks/<int:task_id>")
@bp.auth_required(auth)
@bp.output(TaskOut)
@bp.doc(summary="One follow-up task with its updates", responses=[404])
def get_task(task_id):
    return task_dict(task_or_404(task_id), utcnow())


@bp.post("/tasks/<int:task_id>/updates")
@bp.auth_required(auth)
@bp.input(TaskUpdateIn, location="json")
@bp.output(TaskOut, status_code=201)
@bp.doc(summary="Report a task's status (received, in_progress, done) with a note",
        description="The lead unit's clerk, the meeting's organisers and admins.", responses=[403, 404, 422])
def update_task(task_id, json_data):
    task = task_or_404(task_id)
    _call(followup.update_task, task, json_data, actor(), utcnow())
    return task_dict(task, utcnow())


@bp.post("/tasks/<int:task_id>/evidence")
@bp.auth_required(auth)
@bp.input(EvidenceUpload, location="files", unknown=RAISE)  # as the document says: no other fields
@bp.output(TaskOut, status_code=201)
@bp.doc(summary="Attach an evidence file to the task's latest status report",
        description="PDF, DOCX, XLSX, PPTX, PNG or JPEG, told from the content; at most DOCUMENT_MAX_BYTES. "
                    "The lead unit's clerk, the meeting's organisers and admins.", responses=[403, 404, 413, 422])
def add_evidence(task_id, files_data):
    task = task_or_404(task_id)
    upload = files_data.get("file")
    limit = current_app.config["DOCUMENT_MAX_BYTES"]
    files = [(upload.stream.read(limit + 1), upload.filename)] if upload is not None else []
    _call(followup.add_evidence, task, files, actor(), utcnow(), current_app.config)
    return task_dict(task, utcnow())


@bp.get("/tasks/<int:task_id>/evidence/<int:evidence_id>")
@bp.auth_required(auth)
@bp.output(FileSchema(type="string", format="binary"), content_type="application/octet-stream",
           description="The file, as an attachment, with its detected content type")
@bp.doc(summary="Download an evidence file", responses=[404])
def get_evidence(task_id, evidence_id):
    task = task_or_404(task_id)
    found = next((e for e in task.evidence if e.id == evidence_id), None)
    if found is None:
        raise HTTPError(404, _("No such file."), extra_data={"code": "not_found"})
    return file_download(followup.evidence_bytes(found, current_app.config), found.filename, found.content_type)


@bp.get("/tasks")
@bp.auth_required(auth)
@bp.input(TasksQuery, location="query")
@bp.output(TasksOut)
@bp.doc(summary="The published tasks a unit leads or supports, soonest due first", responses=[403, 404])
def list_tasks(query_data):
    unit = unit_or_404(query_data["unit"])
    if not in_scope(actor(), unit):
        raise HTTPError(403, _("Not allowed."), extra_data={"code": "forbidden"})
    now = utcnow()
    return {"tasks": [task_dict(t, now) for t in db.session.scalars(followup.tasks_of_unit(unit))]}


@bp.get("/reports/followup")
@bp.auth_required(auth)
@bp.input(FollowupQuery, location="query")
@bp.output(FollowupReportOut)
@bp.doc(summary="The follow-up report: tasks per lead unit by due date in the period",
        description="Assigned, done on time, done late, overdue and still open, as of now (a task is "
                    "due at the end of its due day, Asia/Ho_Chi_Minh). `format=csv` or `xlsx` returns a file.",
        responses=[403])
def get_followup_report(query_data):
    try:
        scope = report_scope(actor())
        period = parse_period(query_data["period"])
    except DomainError as exc:
        fail(exc)
    report = followup_report(period, utcnow(), scope)
    if query_data["format"] != "json":
        return sheet_download(followup_tables(report), query_data["format"], f"theo-doi-nhiem-vu-{period.label}",
                              report_heading(report))
    return jsonify(FollowupReportOut().dump(report))
