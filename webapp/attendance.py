"""Pages of attendance: a clerk's home, one-click answer links, the organiser's view, notices."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from wtforms import HiddenField, StringField, TextAreaField

from models import Meeting, Notice, Notification, db
from models.base import utcnow
from models.errors import N_, DomainError
from models.feeds import feed_token_for_unit
from models.notifications import addressed_to, mark_all_read
from models.notifications import mark_notice_read as read_notice
from models.permissions import can_log_check, can_organize_for, can_respond_for, can_see_unit_meetings
from models.units import find_unit
from reports.attendance_list import attendance_list
from scheduler.attendance import check_open, invitation_for, respond, responses_of
from scheduler.links import LinkRefused, check_answer_token
from scheduler.notices import describe, shown_notification, subject_of, when_text
from scheduler.reminders import remind_pending_now
from scheduler.roll_call import is_open as check_in_open

from . import roll_call
from .clerk_home import (
    PAST_DAYS,
    UPCOMING_WEEKS,
    page_number,
    past_page,
    today_invitations,
    unit_endpoints,
    upcoming_page,
)
from .downloads import sheet_download
from .labels import MODE_LABELS, RESPONSE_LABELS, Form, error_details, error_message
from .page_cache import kept_page
from .registry import local_time

bp = Blueprint("attendance", __name__)
bp.add_url_rule("/meetings/<int:meeting_id>/check-in", "check_in", view_func=roll_call.check_in_page,
                methods=["POST"])
REFUSALS = {
    "invalid": _l("This link is not valid. Open the newest e-mail, or sign in and answer from "
                  "your unit's page."),
    "mismatch": _l("This link answers for another meeting, unit or answer."),
    "cancelled": _l("The meeting has been cancelled: there is nothing to answer."),
    "retimed": _l("The meeting has moved since this link was sent. Open the newest e-mail, or "
                  "sign in and answer from your unit's page."),
    "expired": _l("The meeting has started: answers are closed."),
}




@bp.context_processor
def _labels():
    return {"mode_labels": MODE_LABELS, "response_labels": RESPONSE_LABELS}


class AnswerForm(Form):
    status = HiddenField()
    unit = HiddenField()
    attendee = StringField(_l("Attendee's name"))
    title = StringField(_l("Attendee's title"))
    reason = TextAreaField(_l("Reason for declining"))
    note = TextAreaField(_l("Note"))


def _answer_data(form: AnswerForm) -> dict:
    return {k: form.data[k] for k in ("status", "attendee", "title", "reason", "note")}


def _home_unit():
    """The unit whose home page to show: the clerk's own, or ?unit= for those who may see it."""
    ref = request.args.get("unit") or request.form.get("unit")
    unit = find_unit(ref) if ref else current_user.unit
    if unit is None:
        abort(404)
    if not can_see_unit_meetings(current_user, unit):
        abort(403)
    return unit


def _render_home(unit, errors: dict | None = None, form: AnswerForm | None = None, status: int = 200,
                 now=None, feed_url: str | None = None):
    now = now or utcnow()
    upcoming = upcoming_page(unit, now, page_number(request.args.get("up")))
    past = past_page(unit, now, page_number(request.args.get("past")))
    feed_url = feed_url or url_for("calendars.feed", token=feed_token_for_unit(unit).token, _external=True)
    return render_template("attendance/home.html", unit=unit, upcoming=upcoming.rows, past=past.rows,
                           upcoming_page=upcoming, past_page=past, endpoints=unit_endpoints(unit),
                           max_age=current_app.config["READINESS_MAX_AGE_DAYS"],
                           weeks=UPCOMING_WEEKS, past_days=PAST_DAYS, feed_url=feed_url,
                           can_answer=can_respond_for(current_user, unit),
                           can_check=can_log_check(current_user, unit), form=form or AnswerForm(),
                           errors=errors or {}, now=now, today=today_invitations(upcoming.rows + past.rows, now),
                           check_in_open=check_in_open), status


@bp.get("/my-unit")
@login_required
def home():
    unit, now = _home_unit(), utcnow()
    # Kept per data version and minute; the feed address (its token is not in the data version)
    # is part of the key.
    feed_url = url_for("calendars.feed", token=feed_token_for_unit(unit).token, _external=True)
    return kept_page("my-unit", (unit.id, feed_url),
                       lambda: _render_home(unit, now=now, feed_url=feed_url)[0], now)


@bp.post("/my-unit/meetings/<int:meeting_id>/answer")
@login_required
def answer(meeting_id: int):
    meeting = db.get_or_404(Meeting, meeting_id)
    unit = _home_unit()
    form = AnswerForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        respond(meeting, unit, _answer_data(form), current_user, utcnow())
    except DomainError as exc:
        if exc.status == 403:
            abort(403)
        flash(error_message(exc), "danger")
        return _render_home(unit, {meeting.id: error_details(exc)}, form, exc.status)
    flash(_("Your answer is recorded."), "success")
    return redirect(url_for("attendance.home", unit=None if unit == current_user.unit else unit.ref), 303)


@bp.route("/answer/<int:meeting_id>/<unit_ref>/<answer>", methods=["GET", "POST"])
def answer_link(meeting_id: int, unit_ref: str, answer: str):
    """The page a one-click link opens: it asks for the attendee (or the reason), then records."""
    meeting = db.session.get(Meeting, meeting_id)
    unit = find_unit(unit_ref)
    now = utcnow()
    try:
        if meeting is None or unit is None or answer not in ("confirmed", "declined"):
            raise LinkRefused("invalid", N_("Not a valid link."), 404)
        check_answer_token(current_app.config["SECRET_KEY"], request.args.get("t", ""), meeting, unit,
                           answer, now)
        if invitation_for(meeting, unit) is None:
            raise LinkRefused("mismatch", N_("This unit is not invited."), 404)
        check_open(meeting, now)
    except LinkRefused as exc:
        return render_template("attendance/link_refused.html", message=REFUSALS[exc.reason],
                               meeting=meeting), exc.status
    except DomainError as exc:
        return render_template("attendance/link_refused.html", message=REFUSALS["expired"],
                               meeting=meeting), exc.status
    form = AnswerForm(status=answer)
    errors: dict = {}
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        data = {**_answer_data(form), "status": answer}
        try:
            invitation = respond(meeting, unit, data, current_user if current_user.is_authenticated
                                 else None, now, by_link=True)
            return render_template("attendance/link_done.html", meeting=meeting, unit=unit,
                                   invitation=invitation)
        except DomainError as exc:
            errors = error_details(exc)
            status = exc.status
    return render_template("attendance/link_answer.html", meeting=meeting, unit=unit, answer=answer,
                           form=form, errors=errors), status


def _organised_meeting(meeting_id: int) -> Meeting:
    """:raise 403: unless the user may organise for the meeting's organiser."""
    meeting = db.get_or_404(Meeting, meeting_id)
    if not can_organize_for(current_user, meeting.organizer):
        abort(403)
    return meeting


@bp.get("/meetings/<int:meeting_id>/responses")
@login_required
def responses(meeting_id: int):
    meeting = _organised_meeting(meeting_id)
    now = utcnow()
    return render_template("attendance/responses.html", meeting=meeting, groups=responses_of(meeting),
                           can_remind=meeting.status == "scheduled" and now < meeting.start_at,
                           form=FlaskForm())


def _attendance_sheets(groups) -> list:
    headers = [_("Unit"), _("Response"), _("Attendee's name"), _("Attendee's title"), _("Reason"),
               _("Note"), _("Answered at")]
    return [(g.district.name if g.district else _("City and departments"), headers,
             [[i.unit.name, str(RESPONSE_LABELS.get(i.response, i.response)),
               i.attendee_name or "", i.attendee_title or "", i.reason or "", i.note or "",
               local_time(i.responded_at)] for i in g.invitations]) for g in groups]


@bp.get("/meetings/<int:meeting_id>/attendance")
@login_required
def attendance_list_page(meeting_id: int):
    """The attendance list, grouped by district: a printable page, or ?format=csv|xlsx."""
    meeting = _organised_meeting(meeting_id)
    counts, groups = attendance_list(meeting)
    fmt = request.args.get("format")
    if fmt:
        heading = f"{meeting.title} · {local_time(meeting.start_at)}"
        return sheet_download(_attendance_sheets(groups), fmt, f"danh-sach-du-hop-{meeting.id}", heading)
    return render_template("attendance/attendance_list.html", meeting=meeting, counts=counts,
                           groups=groups)


@bp.post("/meetings/<int:meeting_id>/responses/remind")
@login_required
def remind(meeting_id: int):
    meeting = _organised_meeting(meeting_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        count = remind_pending_now(meeting, current_user, utcnow(),
                                   throttle=current_app.config["REMIND_THROTTLE"])
    except DomainError as exc:
        flash(error_message(exc), "danger")
        return redirect(url_for("attendance.responses", meeting_id=meeting.id), 303)
    flash(ngettext("A reminder to %(num)d pending unit goes out within a minute.",
                   "A reminder to %(num)d pending units goes out within a minute.", count)
          if count else _("No unit is pending."), "success" if count else "info")
    return redirect(url_for("attendance.responses", meeting_id=meeting.id), 303)


@bp.get("/notifications")
@login_required
def notifications():
    # Notices are not in the data version: the newest ids join the key (with the unread count of
    # person_parts: rows only arrive, and only become read, so the three move on every change).
    now = utcnow()
    newest = db.session.execute(select(
        select(func.max(Notification.id)).where(addressed_to(current_user)).scalar_subquery(),
        select(func.max(Notice.id)).where(Notice.unit_id == current_user.unit_id).scalar_subquery())).one()
    return kept_page("notifications", tuple(newest), _notifications_page, now)


def _notifications_page() -> str:
    rows = db.session.scalars(select(Notification).where(addressed_to(current_user))
                              .order_by(Notification.created_at.desc(), Notification.id.desc())
                              .limit(200)).all()
    notices = []
    if current_user.unit_id is not None:  # each notice's subject names its meeting: loaded with it
        notices = db.session.scalars(select(Notice).options(joinedload(Notice.meeting))
                                     .where(Notice.unit_id == current_user.unit_id)
                                     .order_by(Notice.created_at.desc(), Notice.id.desc()).limit(200)).all()
    return render_template("attendance/notifications.html", notifications=rows, notices=notices,
                           form=FlaskForm(), describe=lambda changes: describe(changes, _),
                           when=lambda m: when_text(m.start_at, m.end_at, _), subject=lambda n: subject_of(n, _),
                           shown=lambda n: shown_notification(n, _))


@bp.post("/notifications/read")
@login_required
def mark_read():
    if not FlaskForm().validate_on_submit():
        abort(400)
    mark_all_read(current_user, utcnow())
    return redirect(url_for("attendance.notifications"), 303)


@bp.get("/notifications/notices/<int:notice_id>/open")
@login_required
def open_notice(notice_id: int):
    """Opening a notice reads it: marked read (idempotent, own unit's notices only), then its meeting."""
    notice = db.session.get(Notice, notice_id)
    if notice is None or not read_notice(notice_id, current_user, utcnow()):
        abort(404)
    return redirect(url_for("meetings.detail", meeting_id=notice.meeting_id), 303)


@bp.post("/notifications/notices/<int:notice_id>/read")
@login_required
def mark_notice_read(notice_id: int):
    if not FlaskForm().validate_on_submit():
        abort(400)
    if not read_notice(notice_id, current_user, utcnow()):
        abort(404)
    return redirect(url_for("attendance.notifications"), 303)
