"""API: bridges, meetings (book, read, change, cancel, outcome) and the slot finder."""
from __future__ import annotations

from datetime import timedelta

from apiflask import HTTPError
from flask import Response, current_app, jsonify
from flask_babel import gettext as _
from sqlalchemy import inspect, or_, select
from sqlalchemy.orm import joinedload

from models import Bridge, Invitation, Meeting, Unit, db
from models.base import utcnow
from models.errors import N_, DomainError, Msg, ValidationFailed
from models.permissions import can_see_meeting, visible_unit_ids
from models.units import unit_ref
from reports.figures_cache import figures_key
from scheduler.booking import book_meeting
from scheduler.bridges import add_bridge
from scheduler.changes import cancel_meeting, change_meeting, restore_meeting
from scheduler.outcomes import record_outcome
from scheduler.participants import resolve_participants
from scheduler.slots import find_slots

from ..page_cache import kept_body
from ..registry import readiness_max_age
from ..report_http import conditional
from .common import actor, auth, bp, fail, unit_field
from .meeting_schemas import (
    BookingOut,
    BridgeIn,
    BridgeOut,
    CancelIn,
    MeetingIn,
    MeetingOut,
    MeetingPatch,
    MeetingsQuery,
    OutcomeIn,
    SlotOut,
    SlotsQuery,
)


def participant_rows(meeting_id: int) -> list[dict]:
    """A meeting's participants as the answer lists them (in invitation order), read as columns
    in one statement: no `Invitation` or `Unit` objects (a booking answers for 556 or 3,321)."""
    rows = db.session.execute(
        select(Unit.dataset, Unit.code, Unit.name, Invitation.response, Invitation.attendee_name,
               Invitation.attendee_title, Invitation.reason, Invitation.note, Invitation.responded_at,
               Invitation.connected)
        .join(Unit, Unit.id == Invitation.unit_id).where(Invitation.meeting_id == meeting_id)
        .order_by(Invitation.id))
    return [{"unit": unit_ref(dataset, code), "name": name, "response": response, "attendee": attendee,
             "title": title, "reason": reason, "note": note, "responded_at": responded_at,
             "connected": connected}
            for dataset, code, name, response, attendee, title, reason, note, responded_at, connected in rows]


def meeting_dict(m: Meeting, now, with_participants: bool = True) -> dict:
    out = {"id": m.id, "uid": m.uid, "title": m.title, "description": m.description,
           "category": m.category, "organizer": m.organizer.ref, "organizer_name": m.organizer.name,
           "mode": m.mode, "start": m.start_at, "end": m.end_at, "location": m.location,
           "bridge": m.bridge_id, "ports": m.ports, "status": m.status, "revision": m.revision,
           "series": ({"id": m.series.id, "uid": m.series.uid, "rrule": m.series.rrule}
                      if m.series is not None else None),
           "recurrence_id": m.recurrence_id, "outcome_mode": m.outcome_mode,
           "awaiting_outcome": m.awaiting_outcome(now)}
    if with_participants:
        out["participants"] = participant_rows(m.id)
    return out


def meeting_or_404(meeting_id: int) -> Meeting:
    """:raise 404: when there is no such meeting or the caller may not see it."""
    m = db.session.get(Meeting, meeting_id)
    if m is None or not can_see_meeting(actor(), m):
        raise HTTPError(404, _("No meeting %(id)s.", id=meeting_id), extra_data={"code": "not_found"})
    return m


@bp.get("/bridges")
@bp.auth_required(auth)
@bp.output(BridgeOut(many=True))
@bp.doc(summary="List bridges (MCUs)")
def list_bridges():
    return db.session.scalars(select(Bridge).order_by(Bridge.name)).all()


@bp.post("/bridges")
@bp.auth_required(auth)
@bp.input(BridgeIn, location="json")
@bp.output(BridgeOut, status_code=201)
@bp.doc(summary="Add a bridge", responses=[403, 409])
def create_bridge(json_data):
    try:
        return add_bridge({"name": json_data["name"], "capacity": json_data["capacity"]}, actor())
    except DomainError as exc:
        fail(exc)


@bp.post("/meetings")
@bp.auth_required(auth)
@bp.input(MeetingIn, location="json")
@bp.output(BookingOut, status_code=201)
@bp.doc(summary="Book a meeting or a series, or record a past meeting with its outcome",
        responses=[403, 409])
def create_meeting(json_data):
    now = utcnow()
    try:
        booking = book_meeting(json_data, actor(), now, readiness_max_age())
    except DomainError as exc:
        fail(exc)
    # The commit expired the session: read the answer back in two statements, not one per row
    # (the participants as columns).
    ids = [inspect(m).identity[0] for m in booking.meetings]  # m.id would refresh each expired row
    loaded = {m.id: m for m in db.session.scalars(
        select(Meeting).where(Meeting.id.in_(ids))
        .options(joinedload(Meeting.organizer), joinedload(Meeting.series)))}
    return {**meeting_dict(loaded[ids[0]], now),
            "occurrences": [meeting_dict(loaded[i], now, with_participants=False) for i in ids],
            "warnings": booking.warnings, "skipped": booking.skipped}


@bp.get("/meetings")
@bp.auth_required(auth)
@bp.input(MeetingsQuery, location="query")
@bp.output(MeetingOut(many=True))
@bp.doc(summary="List meetings a unit organises or is invited to, in a time window")
def list_meetings(query_data):
    now = utcnow()
    stmt = select(Meeting)
    if query_data.get("unit"):
        unit = unit_field(query_data["unit"], "unit")
        stmt = stmt.where(or_(Meeting.organizer_id == unit.id, Meeting.id.in_(
            select(Invitation.meeting_id).where(Invitation.unit_id == unit.id))))
    visible = visible_unit_ids(actor())
    if visible is not None:
        ids = list(visible)
        stmt = stmt.where(or_(Meeting.organizer_id.in_(ids), Meeting.id.in_(
            select(Invitation.meeting_id).where(Invitation.unit_id.in_(ids)))))
    status = query_data.get("status")
    if status == "awaiting_outcome":
        stmt = stmt.where(Meeting.awaiting_outcome(now))
    elif status:
        stmt = stmt.where(Meeting.status == status)
    if query_data.get("from_"):
        stmt = stmt.where(Meeting.end_at > query_data["from_"])
    if query_data.get("to"):
        stmt = stmt.where(Meeting.start_at < query_data["to"])
    meetings = db.session.scalars(stmt.order_by(Meeting.start_at).limit(query_data["limit"])).all()
    return [meeting_dict(m, now, with_participants=False) for m in meetings]


@bp.get("/meetings/<int:meeting_id>")
@bp.auth_required(auth)
@bp.output(MeetingOut)
@bp.doc(summary="One meeting with its participants and their responses", responses=[404])
def get_meeting(meeting_id):
    m, now = meeting_or_404(meeting_id), utcnow()
    # The answer depends on the data version (meetings, invitations, units, series) and, of
    # the clock, only on whether the meeting awaits its outcome: built once per such key, with
    # its ETag (#17: 578 participants are 153 kB of JSON; 27 ms to build, a copy to keep).
    key = figures_key("api-meeting", m.id, m.awaiting_outcome(now))
    return conditional(key, ("json",), lambda: Response(
        kept_body(key, lambda: jsonify(MeetingOut().dump(meeting_dict(m, now))).get_data()),
        mimetype="application/json"), clock_moves=False)


@bp.patch("/meetings/<int:meeting_id>")
@bp.auth_required(auth)
@bp.input(MeetingPatch, location="json")
@bp.output(MeetingOut)
@bp.doc(summary="Change a meeting (re-checks clashes); `scope` for series: this, following, all",
        responses=[403, 404, 409])
def patch_meeting(meeting_id, json_data):
    m = meeting_or_404(meeting_id)
    scope = json_data.pop("scope", "this")
    try:
        change_meeting(m, json_data, actor(), utcnow(), scope, readiness_max_age())
    except DomainError as exc:
        fail(exc)
    return meeting_dict(db.session.get(Meeting, meeting_id), utcnow())


@bp.post("/meetings/<int:meeting_id>/cancel")
@bp.auth_required(auth)
@bp.input(CancelIn, location="json", arg_name="body")
@bp.output(MeetingOut)
@bp.doc(summary="Cancel a meeting (or this and following, or all occurrences)",
        responses=[403, 404])
def cancel(meeting_id, body):
    m = meeting_or_404(meeting_id)
    try:
        cancel_meeting(m, actor(), utcnow(), body.get("scope", "this"),
                       reason=body.get("reason"))
    except DomainError as exc:
        fail(exc)
    return meeting_dict(db.session.get(Meeting, meeting_id), utcnow())


@bp.post("/meetings/<int:meeting_id>/restore")
@bp.auth_required(auth)
@bp.output(MeetingOut)
@bp.doc(summary="Undo a cancellation until the meeting starts: re-books its endpoints; 409 lists the "
                "clashes when its slot was taken meanwhile", responses=[403, 404, 409, 422])
def restore(meeting_id):
    m = meeting_or_404(meeting_id)
    try:
        restore_meeting(m, actor(), utcnow(), readiness_max_age())
    except DomainError as exc:
        fail(exc)
    return meeting_dict(db.session.get(Meeting, meeting_id), utcnow())


@bp.post("/meetings/<int:meeting_id>/outcome")
@bp.auth_required(auth)
@bp.input(OutcomeIn, location="json")
@bp.output(MeetingOut)
@bp.doc(summary="Record the outcome: held (mode, connected units) or cancelled",
        responses=[403, 404])
def outcome(meeting_id, json_data):
    m = meeting_or_404(meeting_id)
    try:
        record_outcome(m, json_data, actor(), utcnow())
    except DomainError as exc:
        fail(exc)
    return meeting_dict(db.session.get(Meeting, meeting_id), utcnow())


@bp.get("/slots")
@bp.auth_required(auth)
@bp.input(SlotsQuery, location="query")
@bp.output(SlotOut(many=True))
@bp.doc(summary="Earliest free slots in working hours for these participants")
def slots(query_data):
    now = utcnow()
    try:
        if query_data["to"] <= query_data["from_"]:
            raise ValidationFailed({"to": N_("Must be after from.")})
        if query_data["to"] - query_data["from_"] > timedelta(days=92):
            raise ValidationFailed({"to": N_("The window is at most 92 days.")})
        items = [p.strip() for p in query_data["participants"].split(",") if p.strip()]
        units = resolve_participants(items)
        if query_data.get("organizer"):
            units.append(unit_field(query_data["organizer"], "organizer"))
        bridge = None
        if query_data.get("bridge"):
            bridge = db.session.get(Bridge, query_data["bridge"])
            if bridge is None:
                raise ValidationFailed({"bridge": Msg(N_("No bridge %(ref)s."), ref=repr(query_data["bridge"]))})
    except DomainError as exc:
        fail(exc)
    cfg = current_app.config
    found = find_slots(units, timedelta(minutes=query_data["duration"]), query_data["from_"],
                       query_data["to"], bridge, now, cfg["WORKING_HOURS"],
                       cfg["WORKING_DAYS"], readiness_max_age(),
                       query_data["limit"])
    return [{"start": s, "end": e} for s, e in found]
