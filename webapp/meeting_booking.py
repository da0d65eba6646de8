"""The booking page: one form, four buttons, one function each (check, find a slot, take a slot, book)."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import Bridge, db
from models.base import utcnow
from models.errors import N_, Conflict, ValidationFailed
from models.permissions import can_organize_for
from models.units import find_unit
from scheduler.booking import book_meeting, preview_booking
from scheduler.participants import resolve_participants
from scheduler.slots import find_slots

from .calendar_admin import flash_calendar
from .labels import error_message
from .meeting_forms import LOCAL, BookingForm, bridge_id, local_instant
from .meeting_pages import LABELS, apply_errors, fill_choices, readable
from .meeting_reads import organisable_units, unit_names
from .registry import readiness_max_age

SLOT_WINDOW = timedelta(days=14)
#: the fields the slot buttons need valid (the rest of the form may still be unfinished)
SLOT_FIELDS = {"date", "start_time", "end_time", "organizer", "units", "codes", "bridge"}


@login_required
def new():
    """GET: the empty booking form. POST: the action of the button pressed."""
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
    fill_choices(form, organisers)
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
        valid = not (set(form.errors) & SLOT_FIELDS)
        for name in set(form.errors) - SLOT_FIELDS:
            form[name].errors = []
    if not valid:
        return _render_new(ctx, 400)
    try:
        return ACTIONS[action](form, ctx)
    except ValidationFailed as exc:
        ctx["problems"] = apply_errors(form, exc) or [error_message(exc)]
        return _render_new(ctx, 400)
    except Conflict as exc:
        ctx["conflicts"] = readable(exc.details.get("conflicts", []))
        ctx["problems"] = [error_message(exc)]
        return _render_new(ctx, 409)


def _action() -> str:
    for name in ("book", "check", "find_slot", "slot"):
        if name in request.form:
            return name
    return "check"


def take_slot(form: BookingForm, ctx: dict):
    """Move the form's times to the slot chosen from the list."""
    start = local_instant(*_slot_value())
    s, e = form.instants()
    form.set_times(start, start + (e - s))
    return _render_new(ctx, 200)


def find_slot(form: BookingForm, ctx: dict):
    """List the earliest free slots for the form's participants."""
    ctx["slots"] = _find_slots(form, utcnow())
    return _render_new(ctx, 200)


def check(form: BookingForm, ctx: dict):
    """What booking would say: clashes, units without a ready endpoint, the occurrences."""
    preview = preview_booking(form.booking_data(), current_user, utcnow(), readiness_max_age())
    names = unit_names(set(preview["warnings"]["not_ready"]))
    ctx["preview"] = {
        "not_ready": [names.get(r, r) for r in preview["warnings"]["not_ready"]],
        "occurrences": [datetime.fromisoformat(s) for s in preview["occurrences"]]}
    ctx["conflicts"] = readable(preview["conflicts"])
    return _render_new(ctx, 200)


def book(form: BookingForm, _ctx: dict):
    """Book the meeting (or the series) and go to its page."""
    booking = book_meeting(form.booking_data(), current_user, utcnow(), readiness_max_age())
    flash_calendar(booking)
    not_ready = booking.warnings.get("not_ready", [])
    flash(_("Meeting booked.") if len(booking.meetings) == 1 else
          _("Series booked: %(num)d occurrences.", num=len(booking.meetings)), "success")
    if not_ready:
        names = unit_names(set(not_ready))
        shown = ", ".join(names.get(r, r) for r in not_ready[:30])
        flash(_("No ready endpoint: %(units)s.", units=shown + (
            f" (+{len(not_ready) - 30})" if len(not_ready) > 30 else "")), "warning")
    return redirect(url_for("meetings.detail", meeting_id=booking.meetings[0].id), 303)


ACTIONS = {"slot": take_slot, "find_slot": find_slot, "check": check, "book": book}


def _slot_value():
    try:
        chosen = datetime.strptime(request.form.get("slot", ""), "%Y-%m-%dT%H:%M")
    except ValueError:
        raise ValidationFailed({"date": N_("Choose one of the slots listed.")}) from None
    return chosen.date(), chosen.time()


def _find_slots(form: BookingForm, now: datetime) -> list[tuple[datetime, datetime]]:
    start, end = form.instants()
    if end <= start:
        raise ValidationFailed({"end": N_("The end must be after the start.")})
    organizer = find_unit(form.organizer.data or "")
    if organizer is None:
        raise ValidationFailed({"organizer": N_("Choose the organiser.")})
    units = [organizer, *resolve_participants(form.participant_items(), organizer)]
    chosen = bridge_id(form.bridge.data)
    bridge = db.session.get(Bridge, chosen) if chosen else None
    lo = max(now, local_instant(form.date.data, datetime.min.time()))
    cfg = current_app.config
    return find_slots(units, end - start, lo, lo + SLOT_WINDOW, bridge, now, cfg["WORKING_HOURS"],
                      cfg["WORKING_DAYS"], readiness_max_age(), 10)


def _render_new(ctx: dict, status: int):
    return render_template("meetings/new.html", **ctx, **LABELS), status
