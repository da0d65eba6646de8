"""Outcomes: after a meeting ends, its organiser records it as held (how, who connected) or cancelled."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update

from models import EndpointBooking, Meeting, audit, db
from models.database import write_transaction
from models.errors import N_, Forbidden, Msg, StateConflict, ValidationFailed
from models.meetings import MODES
from models.permissions import can_organize_for
from models.users import User

from .signals import meetings_saved


def clean_outcome(data: Any, invited_refs: list[str]) -> dict:
    """Check an outcome: {status: held, mode, connected: [refs]} or {status: cancelled}."""
    if not isinstance(data, dict):
        raise ValidationFailed({"outcome": N_("Give the status, the mode and the connected units.")})
    errors: dict[str, str] = {}
    status = data.get("status")
    if status not in ("held", "cancelled"):
        errors["status"] = N_("Must be held or cancelled.")
    mode = data.get("mode")
    connected = data.get("connected") or []
    if status == "held":
        if mode not in MODES:
            errors["mode"] = Msg(N_("Say how it was held: one of %(values)s."), values=", ".join(MODES))
        if not isinstance(connected, list) or not all(isinstance(c, str) for c in connected):
            errors["connected"] = N_("Give a list of unit codes.")
        else:
            unknown = [c for c in connected if c not in invited_refs]
            if unknown:
                errors["connected"] = Msg(N_("Not invited: %(units)s."), units=", ".join(unknown[:10]))
    elif connected:
        errors["connected"] = N_("A cancelled meeting has no connected units.")
    if errors:
        raise ValidationFailed(errors)
    return {"status": status, "mode": mode if status == "held" else None,
            "connected": set(connected) if status == "held" else set()}


def apply_outcome(meeting: Meeting, outcome: dict, actor: User, now: datetime) -> None:
    """Write an outcome into the session (no commit)."""
    before = audit.snapshot(meeting, ("status", "outcome_mode"))
    meeting.status = outcome["status"]
    meeting.outcome_mode = outcome["mode"]
    meeting.outcome_at = now
    meeting.outcome_by_id = actor.id
    meeting.updated_at = now
    if outcome["status"] != "cancelled":
        meeting.cancel_reason = None
    for inv in meeting.invitations:
        inv.connected = (inv.unit.ref in outcome["connected"]) if outcome["status"] == "held" else None
    if outcome["status"] == "cancelled":
        meeting.revision += 1
        db.session.execute(update(EndpointBooking).where(EndpointBooking.meeting_id == meeting.id)
                           .values(active=False))
    audit.record(actor, "outcome", "meeting", meeting.id, before=before,
                 after=audit.snapshot(meeting, ("status", "outcome_mode"))
                 | {"connected": sorted(outcome["connected"])})


def record_outcome(meeting: Meeting, data: Any, actor: User, now: datetime) -> Meeting:
    """Record how a meeting went. Held needs it to have ended; it may be corrected later."""
    with write_transaction():
        if not can_organize_for(actor, meeting.organizer):
            raise Forbidden(N_("Only the organiser records this meeting's outcome."))
        outcome = clean_outcome(data, [inv.unit.ref for inv in meeting.invitations])
        if outcome["status"] == "held" and meeting.end_at > now:
            raise StateConflict({"status": N_("The meeting has not ended yet.")})
        if outcome["status"] == "cancelled" and meeting.status == "cancelled":
            raise StateConflict({"status": N_("The meeting is already cancelled.")})
        apply_outcome(meeting, outcome, actor, now)
        meetings_saved.send(None, meetings=[meeting], change="outcome", actor=actor,
                            times_changed=False)
    return meeting
