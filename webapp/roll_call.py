"""Pages of the roll call: the host's console (polled as JSON), the host's marks, a clerk's check-in.

The console refreshes itself with `static/roll_call.js` (fetch every few seconds, no reload);
without JavaScript its buttons are plain forms that come back to the console.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from models.base import LOCAL, utcnow
from models.errors import DomainError
from models.units import find_unit
from scheduler.roll_call import check_in, is_open, mark_site, roll_call, roll_call_summary, window

from .labels import ROLL_CALL_LABELS, error_details, error_message
from .meeting_pages import LABELS, meeting_or_404, organised

bp = Blueprint("roll_call", __name__)
POLL_SECONDS = 5


def site_dict(invitation, mark) -> dict:
    """One site's line of the console, as the page and the JSON show it."""
    state = mark.state if mark is not None else "unknown"
    who = mark.marked_by if mark is not None else None
    return {"unit": invitation.unit.ref, "name": invitation.unit.name, "state": state,
            "label": str(ROLL_CALL_LABELS[state]), "reason": mark.reason if mark is not None else None,
            "marked_at": mark.marked_at.astimezone(LOCAL).strftime("%H:%M") if mark is not None else None,
            "marked_by": (who.name or who.email) if who is not None else None,
            "by_self": bool(mark.by_self) if mark is not None else False}


def console_state(meeting) -> dict:
    now = utcnow()
    return {"meeting": meeting.id, "open": is_open(meeting, now), "ended": meeting.end_at <= now,
            "counts": roll_call_summary(meeting),
            "sites": [site_dict(inv, mark) for inv, mark in roll_call(meeting)]}


@bp.get("/meetings/<int:meeting_id>/roll-call")
@login_required
def console(meeting_id: int):
    meeting = organised(meeting_id)
    opens, closes = window(meeting)
    return render_template("meetings/roll_call.html", meeting=meeting, state=console_state(meeting),
                           opens=opens, closes=closes, form=FlaskForm(), states=ROLL_CALL_LABELS,
                           poll_seconds=current_app.config.get("ROLL_CALL_POLL_SECONDS", POLL_SECONDS),
                           **LABELS)


@bp.get("/meetings/<int:meeting_id>/roll-call.json")
@login_required
def console_json(meeting_id: int):
    response = jsonify(console_state(organised(meeting_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/meetings/<int:meeting_id>/roll-call/<unit_ref>")
@login_required
def mark(meeting_id: int, unit_ref: str):
    meeting = organised(meeting_id)
    wants_json = request.accept_mimetypes.best == "application/json"
    if not FlaskForm().validate_on_submit():
        abort(400)
    unit = find_unit(unit_ref[:64])
    if unit is None:
        abort(404)
    try:
        mark_site(meeting, unit, {"state": request.form.get("state"), "reason": request.form.get("reason")},
                  current_user, utcnow())
    except DomainError as exc:
        if exc.status in (403, 404):
            abort(exc.status)
        if wants_json:
            return jsonify({"error": {"code": exc.code, "message": error_message(exc),
                                      "details": error_details(exc)}}), exc.status
        flash(error_message(exc) + " " + " ".join(str(m) for v in error_details(exc).values() for m in v),
              "danger")
        return redirect(url_for("roll_call.console", meeting_id=meeting.id), 303)
    if wants_json:
        return jsonify(console_state(meeting))
    return redirect(url_for("roll_call.console", meeting_id=meeting.id), 303)


@login_required
def check_in_page(meeting_id: int):
    """A clerk's one tap from their home (routed on the home's blueprint, `attendance.check_in`):
    refused with 422, said in words on the home page, outside the window."""
    from .attendance import _home_unit, _render_home

    meeting = meeting_or_404(meeting_id)
    unit = _home_unit()
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        check_in(meeting, unit, current_user, utcnow())
    except DomainError as exc:
        if exc.status in (403, 404):
            abort(exc.status)
        flash(error_message(exc), "danger")
        return _render_home(unit, {meeting.id: error_details(exc)}, None, exc.status)
    flash(_("%(unit)s is checked in.", unit=unit.name), "success")
    return redirect(url_for("attendance.home", unit=None if unit == current_user.unit else unit.ref), 303)
