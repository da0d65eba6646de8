"""Pages of the meetings feature: the list, a meeting's page, the awaiting list, a unit's calendar.

The booking page lives in `meeting_booking`, the pages that change a meeting in
`meeting_changes`; their views are routed on this blueprint below.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import Meeting, db
from models.base import utcnow
from models.permissions import can_see_unit_meetings
from models.units import find_unit

from . import meeting_booking, meeting_changes
from .clerk_home import page_number
from .meeting_forms import LOCAL, STATUS_LABELS
from .meeting_pages import LABELS, meeting_and_stamp_or_404, meeting_or_404, render_detail
from .meeting_reads import (
    MeetingFilter,
    calendar_grid,
    meetings_page,
    organisable_units,
    parse_day,
    unit_choices,
)
from .page_cache import kept_page
from .registry import unit_or_404

__all__ = ["bp", "meeting_or_404"]

bp = Blueprint("meetings", __name__)
bp.add_url_rule("/meetings/new", view_func=meeting_booking.new, methods=["GET", "POST"])
bp.add_url_rule("/meetings/<int:meeting_id>/edit", view_func=meeting_changes.edit, methods=["GET", "POST"])
bp.add_url_rule("/meetings/<int:meeting_id>/cancel", view_func=meeting_changes.cancel, methods=["GET", "POST"])
bp.add_url_rule("/meetings/<int:meeting_id>/restore", view_func=meeting_changes.restore, methods=["POST"])
bp.add_url_rule("/meetings/<int:meeting_id>/outcome", view_func=meeting_changes.outcome,
                methods=["GET", "POST"])


@bp.route("/meetings")
@login_required
def index():
    status = request.args.get("status", "")
    status = status if status in (*STATUS_LABELS, "awaiting") else ""
    unit = find_unit(request.args.get("unit", "")[:64]) if request.args.get("unit") else None
    raw_from, raw_to = request.args.get("from", "")[:10], request.args.get("to", "")[:10]
    f = MeetingFilter(unit=unit, status=status, q=request.args.get("q", "").strip()[:100],
                      date_from=parse_day(raw_from), date_to=parse_day(raw_to))
    bad_dates = [name for name, raw, day in (("from", raw_from, f.date_from), ("to", raw_to, f.date_to))
                 if raw.strip() and day is None]
    now = utcnow()

    def render() -> str:
        page = meetings_page(current_user, now, f, page_number(request.args.get("page")))
        _, units = unit_choices()
        args = {k: v for k, v in request.args.items() if k != "page" and v}
        return render_template("meetings/index.html", meetings=page.rows, page=page, filters=f, args=args,
                               raw_from=raw_from, raw_to=raw_to, bad_dates=bad_dates, status=status,
                               unit=unit, units=units, **LABELS)
    return kept_page("meetings", (), render, now)


@bp.route("/meetings/<int:meeting_id>")
@login_required
def detail(meeting_id: int):
    (meeting, stamp), now = meeting_and_stamp_or_404(meeting_id), utcnow()
    show_all = request.args.get("participants") == "all"
    return kept_page("meeting", (meeting.id, *stamp),
                       lambda: render_detail(meeting, show_all=show_all)[0], now)


@bp.route("/meetings/awaiting")
@login_required
def awaiting():
    now = utcnow()
    stmt = select(Meeting).options(joinedload(Meeting.organizer)).where(Meeting.awaiting_outcome(now))
    organisers = None
    if current_user.role != "admin":
        organisers = [u.id for u in organisable_units(current_user)]
        stmt = stmt.where(Meeting.organizer_id.in_(organisers or [-1]))
    meetings = db.session.scalars(stmt.order_by(Meeting.end_at, Meeting.id).limit(500)).all()
    return render_template("meetings/awaiting.html", meetings=meetings, now=now, **LABELS)


@bp.route("/units/<ref>/calendar")
@login_required
def calendar(ref: str):
    unit = unit_or_404(ref)
    if not can_see_unit_meetings(current_user, unit):
        abort(403)
    view = "month" if request.args.get("view") == "month" else "week"
    try:
        day = date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        day = utcnow().astimezone(LOCAL).date()
    now = utcnow()
    return kept_page("calendar", (unit.id, view, day), lambda: render_template(
        "meetings/calendar.html", unit=unit, view=view, day=day, today=now.astimezone(LOCAL).date(),
        **calendar_grid(unit, view, day), **LABELS), now)
