"""Pages after the meeting: its minutes, its conclusions notice with tasks, a task and a unit's tasks."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import MultipleFileField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Optional

from models import Task, Unit, db
from models.base import utcnow
from models.errors import DomainError
from models.followup import UPDATE_STATES
from models.permissions import can_manage_followup, can_see_task, can_update_task, in_scope
from models.units import find_unit
from scheduler import followup

from .downloads import file_download
from .form_fields import DayField
from .formatted_text import formatted
from .labels import TASK_STATUS_LABELS, Form, error_message, flash_form_errors
from .meeting_pages import meeting_or_404

bp = Blueprint("followup", __name__)


class MinutesForm(Form):
    body = TextAreaField(_l("Minutes"), render_kw={"rows": 16})


class ConclusionsForm(Form):
    number = StringField(_l("Number"), validators=[Optional()], render_kw={"placeholder": "12/TB-UBND"})
    body = TextAreaField(_l("Conclusions"), render_kw={"rows": 10})


class TaskForm(Form):
    title = StringField(_l("Task"))
    detail = TextAreaField(_l("Details"), render_kw={"rows": 3})
    lead_unit = SelectField(_l("Lead unit"), choices=[])
    due_on = DayField(_l("Due date"))
    supporting_units = SelectMultipleField(_l("Supporting units"), choices=[], render_kw={"size": 6})


class TaskUpdateForm(Form):
    status = SelectField(_l("Status"), choices=[])
    note = TextAreaField(_l("Note"), render_kw={"rows": 3})
    file = MultipleFileField(_l("Evidence files (PDF, Word, Excel, PowerPoint, images)"))


def unit_choices() -> list[tuple[str, str]]:
    units = db.session.scalars(select(Unit).where(Unit.dissolved_on.is_(None))
                               .order_by(Unit.level != "department", Unit.level != "district", Unit.name)).all()
    return [(u.ref, u.name) for u in units]


def _managed(meeting_id: int):
    meeting = meeting_or_404(meeting_id)
    if not can_manage_followup(current_user, meeting):
        abort(403)
    return meeting


def _ok() -> None:
    """:raise 400: unless the form's CSRF token is good."""
    if not FlaskForm().validate_on_submit():
        abort(400)


# --- minutes --------------------------------------------------------------------------------

@bp.route("/meetings/<int:meeting_id>/minutes", methods=["GET", "POST"])
@login_required
def minutes(meeting_id: int):
    meeting = meeting_or_404(meeting_id)
    manages = can_manage_followup(current_user, meeting)
    form = MinutesForm()
    status = 200
    if request.method == "POST":
        if not manages:
            abort(403)
        if form.validate_on_submit():
            try:
                followup.save_minutes(meeting, form.body.data, current_user, utcnow())
                flash(_("Minutes saved."), "success")
                return redirect(url_for(".minutes", meeting_id=meeting.id), 303)
            except DomainError as exc:
                flash_form_errors(form, exc)
        status = 400
    record, revision = followup.readable_minutes(meeting, current_user)
    if request.method == "GET" and revision is not None:
        form.body.data = revision.body
    return render_template("followup/minutes.html", meeting=meeting, record=record, revision=revision,
                           html=formatted(revision.body) if revision else None, form=form, manages=manages,
                           publish_form=FlaskForm()), status


@bp.post("/meetings/<int:meeting_id>/minutes/publish")
@login_required
def publish_minutes(meeting_id: int):
    meeting = _managed(meeting_id)
    _ok()
    try:
        followup.publish_minutes(meeting, current_user, utcnow())
        flash(_("Minutes published; the participants are told."), "success")
    except DomainError as exc:
        flash(error_message(exc) + " " + " ".join(str(m) for ms in exc.translated_details(_).values()
                                                  for m in ms), "danger")
    return redirect(url_for(".minutes", meeting_id=meeting.id), 303)


# --- the conclusions notice -------------------------------------------------------------------

def _render_conclusions(meeting, form=None, task_form=None, status: int = 200):
    conclusions = followup.readable_conclusions(meeting, current_user)
    manages = can_manage_followup(current_user, meeting)
    if form is None:
        form = ConclusionsForm(formdata=None, obj=conclusions)
    if task_form is None:
        task_form = TaskForm(formdata=None)
    if manages:
        task_form.lead_unit.choices = task_form.supporting_units.choices = unit_choices()
    return render_template("followup/conclusions.html", meeting=meeting, conclusions=conclusions, manages=manages,
                           html=formatted(conclusions.body) if conclusions else None, form=form,
                           task_form=task_form, plain_form=FlaskForm(), now=utcnow()), status


@bp.route("/meetings/<int:meeting_id>/conclusions", methods=["GET", "POST"])
@login_required
def conclusions(meeting_id: int):
    meeting = meeting_or_404(meeting_id)
    if request.method == "GET":
        return _render_conclusions(meeting)
    if not can_manage_followup(current_user, meeting):
        abort(403)
    form = ConclusionsForm()
    if form.validate_on_submit():
        try:
            followup.save_conclusions(meeting, {"number": form.number.data, "body": form.body.data},
                                      current_user, utcnow())
            flash(_("Conclusions saved."), "success")
            return redirect(url_for(".conclusions", meeting_id=meeting.id), 303)
        except DomainError as exc:
            flash_form_errors(form, exc)
    return _render_conclusions(meeting, form=form, status=400)


@bp.post("/meetings/<int:meeting_id>/conclusions/tasks")
@login_required
def add_task(meeting_id: int):
    meeting = _managed(meeting_id)
    form = TaskForm()
    form.lead_unit.choices = form.supporting_units.choices = unit_choices()
    form.lead_unit.validate_choice = form.supporting_units.validate_choice = False  # the verb names bad units
    if form.validate_on_submit():
        try:
            followup.add_task(meeting, {"title": form.title.data, "detail": form.detail.data,
                                        "lead_unit": form.lead_unit.data, "due_on": form.due_on.data,
                                        "supporting_units": form.supporting_units.data or []},
                              current_user, utcnow())
            flash(_("Task assigned."), "success")
            return redirect(url_for(".conclusions", meeting_id=meeting.id), 303)
        except DomainError as exc:
            flash_form_errors(form, exc)
    return _render_conclusions(meeting, task_form=form, status=400)


@bp.post("/meetings/<int:meeting_id>/conclusions/tasks/<int:task_id>/remove")
@login_required
def remove_task(meeting_id: int, task_id: int):
    meeting = _managed(meeting_id)
    _ok()
    task = db.session.get(Task, task_id)
    if task is None or task.conclusions.meeting_id != meeting.id:
        abort(404)
    try:
        followup.remove_task(task, current_user)
        flash(_("Task removed."), "success")
    except DomainError as exc:
        flash(" ".join(str(m) for ms in exc.translated_details(_).values() for m in ms), "danger")
    return redirect(url_for(".conclusions", meeting_id=meeting.id), 303)


@bp.post("/meetings/<int:meeting_id>/conclusions/publish")
@login_required
def publish_conclusions(meeting_id: int):
    meeting = _managed(meeting_id)
    _ok()
    try:
        followup.publish_conclusions(meeting, current_user, utcnow())
        flash(_("Conclusions notice published; the units with tasks are told."), "success")
    except DomainError as exc:
        flash(" ".join(str(m) for ms in exc.translated_details(_).values() for m in ms), "danger")
    return redirect(url_for(".conclusions", meeting_id=meeting.id), 303)


# --- tasks -------------------------------------------------------------------------------------

def _visible_task(task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None or not can_see_task(current_user, task):
        abort(404)
    return task


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: int):
    task = _visible_task(task_id)
    may_update = can_update_task(current_user, task) and task.conclusions.status == "published"
    form = TaskUpdateForm()
    form.status.choices = [(s, TASK_STATUS_LABELS[s]) for s in UPDATE_STATES]
    form.status.validate_choice = False  # the verb names a bad status
    status = 200
    if request.method == "POST":
        if not may_update:
            abort(403)
        if form.validate_on_submit():
            try:
                limit = current_app.config["DOCUMENT_MAX_BYTES"]
                files = [(f.stream.read(limit + 1), f.filename) for f in request.files.getlist("file") if f]
                followup.update_task(task, {"status": form.status.data, "note": form.note.data}, current_user,
                                     utcnow(), files, current_app.config)
                flash(_("Status reported."), "success")
                return redirect(url_for(".task", task_id=task.id), 303)
            except DomainError as exc:
                flash_form_errors(form, exc)
        status = 400
    elif task.status in UPDATE_STATES:
        form.status.data = task.status
    return render_template("followup/task.html", task=task, meeting=task.conclusions.meeting, form=form,
                           may_update=may_update, now=utcnow()), status


@bp.get("/tasks/<int:task_id>/evidence/<int:evidence_id>")
@login_required
def evidence(task_id: int, evidence_id: int):
    task = _visible_task(task_id)
    found = next((e for e in task.evidence if e.id == evidence_id), None)
    if found is None:
        abort(404)
    return file_download(followup.evidence_bytes(found, current_app.config), found.filename, found.content_type)


@bp.route("/tasks")
@login_required
def unit_tasks():
    ref = request.args.get("unit") or (current_user.unit.ref if current_user.unit else "")
    unit = find_unit(ref)
    if unit is None:
        abort(404)
    if not in_scope(current_user, unit):
        abort(403)
    tasks = db.session.scalars(followup.tasks_of_unit(unit)).all()
    return render_template("followup/tasks.html", unit=unit, tasks=tasks, now=utcnow())
