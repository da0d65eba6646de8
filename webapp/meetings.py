"""Pages of the meetings feature: book, read, change, cancel, record outcomes, calendars."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import AuditLog, Bridge, Invitation, Meeting, Unit, db
from models.base import utcnow
from models.errors import Conflict, Forbidden, ValidationFailed
from models.permissions import (
    can_organize_for,
    can_see_meeting,
    can_see_unit_meetings,
)
from models.units import find_unit
from scheduler.booking import book_meeting, preview_booking
from scheduler.changes import cancel_meeting, change_meeting
from scheduler.clashes import endpoints_to_book
from scheduler.outcomes import record_outcome
from scheduler.participants import resolve_participants
from scheduler.slots import find_slots

from .calendar_admin import flash_calendar
from .meeting_forms import (
    CATEGORY_LABELS,
    LOCAL,
    MODE_LABELS,
    RESPONSE_LABELS,
    SCOPE_LABELS,
    STATUS_LABELS,
    BookingForm,
    CancelForm,
    EditForm,
    OutcomeForm,
    bridge_id,
    local_instant,
    options,
)
from .meeting_reads import (
    audit_changes,
    calendar_grid,
    organisable_units,
    unit_choices,
    unit_names,
    visible_meetings,
)
from .registry import readiness_max_age

bp = Blueprint("meetings", __name__)
LABELS = {"categories": CATEGORY_LABELS, "modes": MODE_LABELS, "statuses": STATUS_LABELS,
          "responses": RESPONSE_LABELS, "scopes": SCOPE_LABELS}
#: where a verb's field error is shown on the booking and edit forms
FIELD_OF = {"start": "start_time", "end": "end_time", "participants": "units", "rrule": "repeat"}
SLOT_WINDOW = timedelta(days=14)


def meeting_or_404(meeting_id: int) -> Meeting:
    """:raise 404: when there is no such meeting or the user may not see it."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or not can_see_meeting(current_user, meeting):
        abort(404)
    return meeting


def _organised(meeting_id: int) -> Meeting:
    """:raise 403: unless the user may organise for the meeting's organiser."""
    meeting = meeting_or_404(meeting_id)
    if not can_organize_for(current_user, meeting.organizer):
        abort(403)
    return meeting


def _apply_errors(form, error: ValidationFailed) -> list[str]:
    """Put a verb's field errors on the form; returns those no field shows."""
    rest = []
    for key, messages in error.details.items():
        name = FIELD_OF.get(key, key)
        if name in form._fields and name != "csrf_token":
            form[name].errors = list(form[name].errors or []) + list(messages)
        else:
            rest += [f"{key}: {m}" for m in messages]
    return rest


def _fill_choices(form, organisers: list[Unit] | None = None) -> None:
    districts, units = unit_choices()
    form.districts.choices, form.units.choices = options(districts), options(units)
    bridges = db.session.scalars(select(Bridge).order_by(Bridge.name)).all()
    form.bridge.choices = options([("", _("None (in person)"))] + [
        (str(b.id), f"{b.name} ({b.capacity})") for b in bridges])
    if organisers is not None:
        form.organizer.choices = options((u.ref, u.name) for u in organisers)


def _readable(conflicts: list[dict]) -> list[dict]:
    """Clashes with instants as datetimes and units as names, for the page."""
    names = unit_names({ref for c in conflicts for ref in c["units"]})
    out = []
    for c in conflicts:
        out.append({**c, "start": datetime.fromisoformat(c["start"]),
                    "end": datetime.fromisoformat(c["end"]),
                    "occurrence": datetime.fromisoformat(c["occurrence"]),
                    "unit_names": [names.get(r, r) for r in c["units"]]})
    return out


def _action() -> str:
    for name in ("book", "check", "find_slot", "slot"):
        if name in request.form:
            return name
    return "check"


@bp.route("/meetings")
@login_required
def index():
    status = request.args.get("status", "")
    status = status if status in (*STATUS_LABELS, "awaiting") else ""
    unit = find_unit(request.args.get("unit", "")[:64]) if request.args.get("unit") else None
    meetings = visible_meetings(current_user, utcnow(), unit, status)
    _, units = unit_choices()
    return render_template("meetings/index.html", meetings=meetings, status=status, unit=unit,
                           units=units, **LABELS)


@bp.route("/meetings/new", methods=["GET", "POST"])
@login_required
def new():
    organisers = organisable_units(current_user)
    wanted = request.args.get("organizer")
    if wanted:
        unit = find_unit(wanted[:64])
        if unit is None:
            abort(404)
        if not can_organize_for(current_user, unit):
            abort(403)
    if not organisers:
        abort(403)
    form = BookingForm(organizer=wanted or organisers[0].ref)
    _fill_choices(form, organisers)
    ctx = {"form": form, "preview": None, "conflicts": [], "slots": None, "problems": []}
    if request.method == "GET":
        day = utcnow().astimezone(LOCAL).date() + timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        form.date.data, form.start_time.data, form.end_time.data = day, time(8), time(10)
        return _render_new(ctx, 200)
    action = _action()
    valid = form.validate_on_submit()
    if not valid and action in ("find_slot", "slot") and "csrf_token" not in form.errors:
        needed = {"date", "start_time", "end_time", "organizer", "units", "codes", "bridge"}
        valid = not (set(form.errors) & needed)
        for name in set(form.errors) - needed:
            form[name].errors = []
    if not valid:
        return _render_new(ctx, 400)
    try:
        return _booking_action(action, form, ctx)
    except ValidationFailed as exc:
        db.session.rollback()
        ctx["problems"] = _apply_errors(form, exc) or [exc.message]
        return _render_new(ctx, 400)
    except Forbidden:
        db.session.rollback()
        abort(403)
    except Conflict as exc:
        db.session.rollback()
        ctx["conflicts"] = _readable(exc.details.get("conflicts", []))
        ctx["problems"] = [exc.message]
        return _render_new(ctx, 409)


def _booking_action(action: str, form: BookingForm, ctx: dict):
    now = utcnow()
    if action == "slot":
        start = local_instant(*_slot_value())
        s, e = form.instants()
        form.set_times(start, start + (e - s))
        return _render_new(ctx, 200)
    if action == "find_slot":
        ctx["slots"] = _find_slots(form, now)
        return _render_new(ctx, 200)
    data = form.booking_data()
    if action == "check":
        preview = preview_booking(data, current_user, now, readiness_max_age())
        names = unit_names(set(preview["warnings"]["not_ready"]))
        ctx["preview"] = {
            "not_ready": [names.get(r, r) for r in preview["warnings"]["not_ready"]],
            "occurrences": [datetime.fromisoformat(s) for s in preview["occurrences"]]}
        ctx["conflicts"] = _readable(preview["conflicts"])
        return _render_new(ctx, 200)
    booking = book_meeting(data, current_user, now, readiness_max_age())
    not_ready = booking.warnings.get("not_ready", [])
    flash_calendar(booking)
    flash(_("Meeting booked.") if len(booking.meetings) == 1 else
          _("Series booked: %(num)d occurrences.", num=len(booking.meetings)), "success")
    if not_ready:
        names = unit_names(set(not_ready))
        shown = ", ".join(names.get(r, r) for r in not_ready[:30])
        flash(_("No ready endpoint: %(units)s.", units=shown + (
            f" (+{len(not_ready) - 30})" if len(not_ready) > 30 else "")), "warning")
    return redirect(url_for("meetings.detail", meeting_id=booking.meetings[0].id), 303)


def _slot_value():
    try:
        chosen = datetime.strptime(request.form.get("slot", ""), "%Y-%m-%dT%H:%M")
    except ValueError:
        raise ValidationFailed({"date": "Choose one of the slots listed."}) from None
    return chosen.date(), chosen.time()


def _find_slots(form: BookingForm, now: datetime) -> list[tuple[datetime, datetime]]:
    start, end = form.instants()
    if end <= start:
        raise ValidationFailed({"end": "The end must be after the start."})
    organizer = find_unit(form.organizer.data or "")
    if organizer is None:
        raise ValidationFailed({"organizer": "Choose the organiser."})
    units = [organizer, *resolve_participants(form.participant_items(), organizer)]
    chosen = bridge_id(form.bridge.data)
    bridge = db.session.get(Bridge, chosen) if chosen else None
    lo = max(now, local_instant(form.date.data, datetime.min.time()))
    cfg = current_app.config
    return find_slots(units, end - start, lo, lo + SLOT_WINDOW, bridge, now, cfg["WORKING_HOURS"],
                      {int(d) for d in cfg["WORKING_DAYS"].split(",")}, readiness_max_age(), 10)


def _render_new(ctx: dict, status: int):
    return render_template("meetings/new.html", **ctx, **LABELS), status


@bp.route("/meetings/<int:meeting_id>")
@login_required
def detail(meeting_id: int):
    return _render_detail(meeting_or_404(meeting_id))


def _render_detail(meeting: Meeting, cancel_form: CancelForm | None = None, status: int = 200,
                   problems: list[str] = ()):
    now = utcnow()
    invitations = db.session.scalars(select(Invitation).options(joinedload(Invitation.unit))
                                     .where(Invitation.meeting_id == meeting.id)
                                     .order_by(Invitation.id)).all()
    endpoints, ready = endpoints_to_book([meeting.organizer_id, *(i.unit_id for i in invitations)],
                                         now, readiness_max_age(), with_details=True)
    history = db.session.scalars(select(AuditLog).options(joinedload(AuditLog.actor)).where(
        AuditLog.entity_type == "meeting", AuditLog.entity_id == meeting.id)
        .order_by(AuditLog.at, AuditLog.id)).all()
    occurrences = []
    if meeting.series_id is not None:
        occurrences = db.session.execute(select(
            Meeting.id, Meeting.start_at, Meeting.end_at, Meeting.status, Meeting.recurrence_id)
            .where(Meeting.series_id == meeting.series_id).order_by(Meeting.recurrence_id)).all()
    may_organise = can_organize_for(current_user, meeting.organizer)
    editable = may_organise and meeting.status == "scheduled" and meeting.start_at > now
    return render_template(
        "meetings/detail.html", meeting=meeting, invitations=invitations, endpoints=endpoints,
        ready=ready, history=[(row, audit_changes(row)) for row in history],
        occurrences=occurrences, editable=editable, now=now, may_organise=may_organise,
        may_record=may_organise and meeting.end_at <= now and meeting.status != "cancelled",
        cancel_form=cancel_form or CancelForm(), problems=problems, **LABELS), status


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@login_required
def edit(meeting_id: int):
    meeting = _organised(meeting_id)
    invited = [inv.unit.ref for inv in meeting.invitations]
    form = EditForm(obj=meeting, units=invited)
    _fill_choices(form)
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
            db.session.rollback()
            problems = _apply_errors(form, exc) or [exc.message]
        except Forbidden:
            db.session.rollback()
            abort(403)
        except Conflict as exc:
            db.session.rollback()
            problems, status = [exc.message], 409
            conflicts = _readable(exc.details.get("conflicts", []))
    return render_template("meetings/edit.html", form=form, meeting=meeting, problems=problems,
                           conflicts=conflicts, **LABELS), status


@bp.post("/meetings/<int:meeting_id>/cancel")
@login_required
def cancel(meeting_id: int):
    meeting = _organised(meeting_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return _render_detail(meeting, form, 400)
    try:
        rows = cancel_meeting(meeting, current_user, utcnow(),
                              form.scope.data if meeting.series_id else "this")
    except ValidationFailed as exc:
        db.session.rollback()
        return _render_detail(meeting, form, 400,
                              [m for msgs in exc.details.values() for m in msgs] or [exc.message])
    except Forbidden:
        db.session.rollback()
        abort(403)
    flash(ngettext("%(num)d meeting cancelled.", "%(num)d meetings cancelled.", len(rows)),
          "success")
    return redirect(url_for("meetings.detail", meeting_id=meeting.id), 303)


@bp.route("/meetings/<int:meeting_id>/outcome", methods=["GET", "POST"])
@login_required
def outcome(meeting_id: int):
    meeting = _organised(meeting_id)
    invitations = db.session.scalars(select(Invitation).options(joinedload(Invitation.unit))
                                     .where(Invitation.meeting_id == meeting.id)
                                     .order_by(Invitation.id)).all()
    preset = request.args.get("connected")
    connected = ([i.unit.ref for i in invitations] if preset == "all" else [] if preset == "none"
                 else [i.unit.ref for i in invitations if i.connected])
    form = OutcomeForm(status=meeting.status if meeting.status != "scheduled" else "held",
                       mode=meeting.outcome_mode or meeting.mode, connected=connected)
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
                db.session.rollback()
                problems = _apply_errors(form, exc) or [exc.message]
            except Forbidden:
                db.session.rollback()
                abort(403)
    return render_template("meetings/outcome.html", form=form, meeting=meeting,
                           problems=problems, **LABELS), status


@bp.route("/meetings/awaiting")
@login_required
def awaiting():
    now = utcnow()
    stmt = select(Meeting).options(joinedload(Meeting.organizer)).where(
        Meeting.status == "scheduled", Meeting.end_at <= now)
    organisers = None
    if current_user.role != "admin":
        organisers = [u.id for u in organisable_units(current_user)]
        stmt = stmt.where(Meeting.organizer_id.in_(organisers or [-1]))
    meetings = db.session.scalars(stmt.order_by(Meeting.end_at, Meeting.id).limit(500)).all()
    return render_template("meetings/awaiting.html", meetings=meetings, now=now, **LABELS)


@bp.route("/units/<ref>/calendar")
@login_required
def calendar(ref: str):
    unit = find_unit(ref)
    if unit is None:
        abort(404)
    if not can_see_unit_meetings(current_user, unit):
        abort(403)
    view = "month" if request.args.get("view") == "month" else "week"
    try:
        day = date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        day = utcnow().astimezone(LOCAL).date()
    grid = calendar_grid(unit, view, day)
    return render_template("meetings/calendar.html", unit=unit, view=view, day=day,
                           today=utcnow().astimezone(LOCAL).date(), **grid, **LABELS)
