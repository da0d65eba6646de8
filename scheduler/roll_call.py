"""The roll call while a meeting runs: the host marks any site, a clerk checks their unit in.

The window opens CHECK_IN_BEFORE before the start and closes at the end. A clerk checks in
only inside it; the host (whoever organises for the meeting's organiser) may mark from the
window's opening on, also after the end to correct. At the end, `proposed_outcome` turns what
the roll call saw into an outcome for the organiser to confirm or correct, recorded by the one
outcome verb (`scheduler.outcomes.record_outcome`), so the ratio and attendance figures come
from it.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from models import Invitation, Meeting, RollCallMark, audit, db
from models.briefing import ATTENDED_STATES, REASON_MAX, ROLL_CALL_STATES
from models.database import write_transaction
from models.errors import N_, Forbidden, Msg, NotFound, StateConflict, ValidationFailed
from models.permissions import can_organize_for, can_respond_for
from models.text import has_visible, nfc
from models.units import Unit
from models.users import User

CHECK_IN_BEFORE = timedelta(minutes=30)
MARK_FIELDS = ("state", "reason", "by_self")


def window(meeting: Meeting) -> tuple[datetime, datetime]:
    """[opens, closes): from CHECK_IN_BEFORE before the start until the end."""
    return meeting.start_at - CHECK_IN_BEFORE, meeting.end_at


def is_open(meeting: Meeting, now: datetime) -> bool:
    opens, closes = window(meeting)
    return meeting.status != "cancelled" and opens <= now < closes


def may_host(actor: User, meeting: Meeting) -> bool:
    return can_organize_for(actor, meeting.organizer)


def roll_call(meeting: Meeting) -> list[tuple[Invitation, RollCallMark | None]]:
    """Every invited unit with its mark (None: not yet known), in the order of the invitations."""
    marks = {m.unit_id: m for m in db.session.scalars(
        select(RollCallMark).where(RollCallMark.meeting_id == meeting.id))}
    return [(inv, marks.get(inv.unit_id)) for inv in meeting.invitations]


def _invitation(meeting: Meeting, unit: Unit) -> Invitation:
    for inv in meeting.invitations:
        if inv.unit_id == unit.id:
            return inv
    raise NotFound(N_("This unit is not invited to the meeting."),
                   {"unit": [Msg(N_("%(unit)s is not invited."), unit=unit.name)]})


def clean_mark(data: Any) -> dict:
    if not isinstance(data, dict):
        raise ValidationFailed({"state": Msg(N_("Must be one of: %(values)s."), values=", ".join(ROLL_CALL_STATES))})
    errors: dict[str, Any] = {}
    state = data.get("state")
    if state not in ROLL_CALL_STATES:
        errors["state"] = Msg(N_("Must be one of: %(values)s."), values=", ".join(ROLL_CALL_STATES))
    reason = data.get("reason")
    if reason is not None and not isinstance(reason, str):
        errors["reason"] = N_("Must be text.")
        reason = None
    reason = nfc(reason) or None
    if reason and len(reason) > REASON_MAX:
        errors["reason"] = Msg(N_("At most %(limit)s characters."), limit=REASON_MAX)
    if state == "absent" and not has_visible(reason) and "reason" not in errors:
        errors["reason"] = N_("Give the reason for the absence.")
    if errors:
        raise ValidationFailed(errors)
    return {"state": state, "reason": reason if state == "absent" else None}


def _write(meeting: Meeting, unit: Unit, values: dict, actor: User, now: datetime, by_self: bool) -> RollCallMark:
    mark = db.session.scalar(select(RollCallMark).where(RollCallMark.meeting_id == meeting.id,
                                                        RollCallMark.unit_id == unit.id))
    before = audit.snapshot(mark, MARK_FIELDS) if mark is not None else None
    if mark is None:
        mark = RollCallMark(meeting_id=meeting.id, unit_id=unit.id)
        db.session.add(mark)
    mark.state, mark.reason, mark.by_self = values["state"], values["reason"], by_self
    mark.marked_by_id, mark.marked_at = actor.id, now
    db.session.flush()
    audit.record(actor, "roll_call", "meeting", meeting.id, before,
                 audit.snapshot(mark, MARK_FIELDS) | {"unit": unit.ref})
    return mark


def mark_site(meeting: Meeting, unit: Unit, data: Any, actor: User, now: datetime) -> RollCallMark:
    """The host marks an invited site: connected, in person, absent (with a reason) or unknown."""
    with write_transaction():
        if not may_host(actor, meeting):
            raise Forbidden(N_("Only the meeting's host marks the roll call."))
        _invitation(meeting, unit)
        if meeting.status == "cancelled":
            raise StateConflict({"meeting": N_("The meeting has been cancelled.")},
                                   N_("The meeting has been cancelled."))
        if now < window(meeting)[0]:
            raise StateConflict({"time": N_("The roll call opens 30 minutes before the start.")},
                                   N_("The roll call opens 30 minutes before the start."))
        return _write(meeting, unit, clean_mark(data), actor, now, by_self=False)


def check_in(meeting: Meeting, unit: Unit, actor: User, now: datetime) -> RollCallMark:
    """A clerk's one tap: their unit is here (connected, or in person for an in-person meeting)."""
    with write_transaction():
        if not can_respond_for(actor, unit):
            raise Forbidden(N_("You may only check in your own unit."), {"unit": [unit.ref]})
        _invitation(meeting, unit)
        if not is_open(meeting, now):
            raise ValidationFailed(
                {"time": N_("Check-in is open from 30 minutes before the start until the end.")},
                N_("Check-in is open from 30 minutes before the start until the end."))
        state = "in_person" if meeting.mode == "in_person" else "connected"
        return _write(meeting, unit, {"state": state, "reason": None}, actor, now, by_self=True)


def proposed_outcome(meeting: Meeting) -> dict:
    """What the roll call saw, as an outcome: held if any site attended, the mode the marks
    show (online, in person, or both: hybrid), and the units that attended."""
    rows = roll_call(meeting)
    states = {mark.state for _inv, mark in rows if mark is not None}
    attended = [inv.unit.ref for inv, mark in rows if mark is not None and mark.state in ATTENDED_STATES]
    if not attended:
        return {"status": "held", "mode": meeting.mode, "connected": [], "seen": bool(states)}
    mode = ("hybrid" if {"connected", "in_person"} <= states
            else "online" if "connected" in states else "in_person")
    return {"status": "held", "mode": mode, "connected": attended, "seen": True}


def roll_call_summary(meeting: Meeting) -> dict[str, int]:
    """How many sites are in each state (unknown: no mark, or marked unknown)."""
    counts = dict.fromkeys(ROLL_CALL_STATES, 0)
    for _inv, mark in roll_call(meeting):
        counts[mark.state if mark is not None else "unknown"] += 1
    return counts
