"""The pages that change a booked meeting: edit, cancel, record its outcome."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import Invitation, db
from models.base import utcnow
from models.errors import Conflict, ValidationFailed
from scheduler.changes import cancel_meeting, change_meeting, preview_cancel, restore_meeting
from scheduler.outcomes import record_outcome
from scheduler.roll_call import proposed_outcome

from .labels import error_details, error_message
from .meeting_forms import SCOPE_LABELS, CancelForm, EditForm, OutcomeForm, options
from .meeting_pages import LABELS, apply_errors, fill_choices, organised, readable, render_detail
from .registry import readiness_max_age


@login_required
def edit(meeting_id: int):
    """Change a meeting (or its series from here on): fields, time, participants, bridge."""
    meeting = organised(meeting_id)
    invited = [inv.unit.ref for inv in meeting.invitations]
    form = EditForm(obj=meeting, units=invited)
    fill_choices(form)
    if request.method == "GET":
        form.set_times(meeting.start_at, meeting.end_at)
        form.bridge.data = str(meeting.bridge_id or "")
        return render_template("meetings/edit.html", form=form, meeting=meeting, problems=[],
                               conflicts=[], **LABELS)
    problems, conflicts, status = [], [], 400
    if form.validate_on_submit():
        try:
            change_meeting(meeting, form.change_data(meeting, invited), current_user, utcnow(),
                           form.scope.data if meeting.series_id else "this", readiness_max_age())
            flash(_("Meeting saved."), "success")
            return redirect(url_for("meetings.detail", meeting_id=meeting.id), 303)
        except ValidationFailed as exc:
            problems = apply_errors(form, exc) or [error_message(exc)]
        except Conflict as exc:
            problems, status = [error_message(exc)], 409
            conflicts = readable(exc.details.get("conflicts", []))
    return render_template("meetings/edit.html", form=form, meeting=meeting, problems=problems,
                           conflicts=conflicts, **LABELS), status


def _cancel_page(meeting, form: CancelForm, preview, status: int = 200, problems=()):
    return render_template("meetings/cancel.html", meeting=meeting, form=form, preview=preview,
                           problems=list(problems), **LABELS), status


@login_required
def cancel(meeting_id: int):
    """Cancelling asks first: GET states what the scope cancels (how many occurrences, how many
    units are told) and asks for the reason; POST cancels (scheduler.changes.cancel_meeting)."""
    meeting = organised(meeting_id)
    form = CancelForm()
    if request.method == "GET":
        scope = request.args.get("scope", "this")
        form.scope.data = scope if scope in SCOPE_LABELS else "this"
    scope = form.scope.data if meeting.series_id and form.scope.data in SCOPE_LABELS else "this"
    try:
        preview = preview_cancel(meeting, current_user, utcnow(), scope)
    except ValidationFailed as exc:
        return render_detail(meeting, None, 400,
                             [m for msgs in error_details(exc).values() for m in msgs] or [error_message(exc)])
    if request.method == "GET":
        return _cancel_page(meeting, form, preview)
    if not form.validate_on_submit():
        return _cancel_page(meeting, form, preview, 400)
    try:
        rows = cancel_meeting(meeting, current_user, utcnow(), preview.scope, reason=form.reason.data,
                              require_reason=True)
    except ValidationFailed as exc:
        problems = apply_errors(form, exc)
        return _cancel_page(meeting, form, preview, 400, problems)
    flash(ngettext("%(num)d meeting cancelled. You can undo it on this page until it starts.",
                   "%(num)d meetings cancelled. You can undo it on this page until they start.", len(rows)),
          "success")
    return redirect(url_for("meetings.detail", meeting_id=meeting.id), 303)


@login_required
def restore(meeting_id: int):
    """Undo a cancellation (scheduler.changes.restore_meeting): refused with the clashes (409)
    when the slot was taken meanwhile."""
    meeting = organised(meeting_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        rows = restore_meeting(meeting, current_user, utcnow(), readiness_max_age())
    except Conflict as exc:
        db.session.expire_all()
        return render_detail(meeting, None, 409, [exc.translated(_)],
                             readable(exc.details.get("conflicts", [])))
    except ValidationFailed as exc:
        return render_detail(meeting, None, 400, [exc.translated(_)])
    flash(ngettext("The cancellation is undone: %(num)d meeting is back, its units are told.",
                   "The cancellation is undone: %(num)d meetings are back, their units are told.", len(rows)),
          "success")
    return redirect(url_for("meetings.detail", meeting_id=meeting.id), 303)


@login_required
def outcome(meeting_id: int):
    """Record (or correct) how the meeting went: held, with who connected, or cancelled."""
    meeting = organised(meeting_id)
    invitations = db.session.scalars(select(Invitation).options(joinedload(Invitation.unit))
                                     .where(Invitation.meeting_id == meeting.id)
                                     .order_by(Invitation.id)).all()
    preset = request.args.get("connected")
    connected = ([i.unit.ref for i in invitations] if preset == "all" else [] if preset == "none"
                 else [i.unit.ref for i in invitations if i.connected])
    mode = meeting.outcome_mode or meeting.mode
    proposal = proposed_outcome(meeting) if request.args.get("from") == "roll_call" else None
    if proposal is not None:  # what the roll call saw, for the organiser to confirm or correct
        connected, mode = proposal["connected"], proposal["mode"]
    form = OutcomeForm(status=meeting.status if meeting.status != "scheduled" else "held",
                       mode=mode, connected=connected)
    form.connected.choices = options((i.unit.ref, i.unit.name) for i in invitations)
    problems, status = [], 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            data = {"status": form.status.data}
            if form.status.data == "held":
                data.update(mode=form.mode.data, connected=form.connected.data or [])
            try:
                record_outcome(meeting, data, current_user, utcnow())
                flash(_("Outcome recorded."), "success")
                return redirect(url_for("meetings.detail", meeting_id=meeting.id), 303)
            except ValidationFailed as exc:
                problems = apply_errors(form, exc) or [error_message(exc)]
    return render_template("meetings/outcome.html", form=form, meeting=meeting, proposal=proposal,
                           now_utc=utcnow(),
                           problems=problems, **LABELS), status
