"""Attendance: a unit confirms (with its attendee) or declines (with a reason) until the start.

A unit that is not invited is refused with 404: the response the caller names does not
exist (the API's `PUT /meetings/{id}/responses/{unit}` addresses it as a resource).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from models import audit
from models.base import db, utcnow
from models.database import write_transaction
from models.errors import N_, Forbidden, Msg, NotFound, StateConflict, ValidationFailed
from models.meetings import ATTENDEE_MAX, NOTE_MAX, REASON_MAX, Invitation, Meeting
from models.permissions import can_respond_for
from models.text import has_visible, nfc
from models.units import Unit
from models.users import User

ANSWERS = ("confirmed", "declined")
RESPONSE_FIELDS = ("response", "attendee_name", "attendee_title", "reason", "note",
                   "confirmed_before_start")
LIMITS = {"attendee": ATTENDEE_MAX, "title": ATTENDEE_MAX, "reason": REASON_MAX, "note": NOTE_MAX}


def invitation_for(meeting: Meeting, unit: Unit) -> Invitation | None:
    """The unit's invitation to the meeting, if it is invited."""
    return db.session.scalar(select(Invitation).where(Invitation.meeting_id == meeting.id,
                                                      Invitation.unit_id == unit.id))


def _text(data: dict[str, Any], key: str, errors: dict[str, str]) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        errors[key] = N_("Must be text.")
        return None
    value = nfc(value).strip()
    if len(value) > LIMITS[key]:
        errors[key] = Msg(N_("At most %(limit)s characters."), limit=LIMITS[key])
    return value or None


def clean_answer(data: dict[str, Any]) -> dict[str, Any]:
    """Check an answer's values; :raise ValidationFailed: naming each bad field."""
    errors: dict[str, str] = {}
    status = data.get("status")
    if status not in ANSWERS:
        errors["status"] = N_("Must be one of: confirmed, declined.")
    out = {k: _text(data, k, errors) for k in LIMITS}
    if status == "confirmed" and not out["attendee"] and "attendee" not in errors:
        errors["attendee"] = N_("Give the name of the person who will attend.")
    if status == "declined" and not has_visible(out["reason"]) and "reason" not in errors:
        errors["reason"] = N_("A reason is required to decline.")
    if errors:
        raise ValidationFailed(errors)
    return {"status": status, **out}


def check_open(meeting: Meeting, now: datetime) -> None:
    """:raise ValidationFailed: when the meeting is cancelled, recorded or has started."""
    if meeting.status == "cancelled":
        raise StateConflict({"meeting": N_("The meeting has been cancelled.")},
                               N_("The meeting has been cancelled."))
    if meeting.status != "scheduled" or now >= meeting.start_at:
        raise StateConflict({"start": N_("The meeting has started: answers can no longer change.")},
                               N_("Answers close when the meeting starts."))


def respond(meeting: Meeting, unit: Unit, data: dict[str, Any], actor: User | None,
            now: datetime | None = None,
            *, by_link: bool = False) -> Invitation:
    """Record a unit's answer to a meeting and commit it with its audit row.

    `actor` is the clerk (or admin) answering; with `by_link` the caller has checked a signed
    one-click link for exactly this meeting, unit and answer, and `actor` may be None.
    """
    now = now or utcnow()
    if not by_link and (actor is None or not can_respond_for(actor, unit)):
        raise Forbidden(N_("You may only answer for your own unit."), {"unit": [unit.ref]})
    with write_transaction():  # SQLite: take the write lock before reading what we change
        invitation = invitation_for(meeting, unit)
        if invitation is None:
            raise NotFound(N_("This unit is not invited to the meeting."),
                           {"unit": [Msg(N_("%(unit)s is not invited."), unit=unit.name)]})
        check_open(meeting, now)
        values = clean_answer(data)
        before = audit.snapshot(invitation, RESPONSE_FIELDS)
        confirmed = values["status"] == "confirmed"
        invitation.response = values["status"]
        invitation.attendee_name = values["attendee"] if confirmed else None
        invitation.attendee_title = values["title"] if confirmed else None
        invitation.reason = None if confirmed else values["reason"]
        invitation.note = values["note"]
        invitation.confirmed_before_start = confirmed
        invitation.responded_at = now
        invitation.responded_by_id = getattr(actor, "id", None)
        after = audit.snapshot(invitation, RESPONSE_FIELDS)
        if by_link:
            after["via"] = "link"
        audit.record(actor, "respond", "invitation", invitation.id, before=before, after=after)
    return invitation


def responses_of(meeting: Meeting) -> dict[str, list[Invitation]]:
    """The meeting's invitations grouped by answer: confirmed, declined, pending."""
    groups: dict[str, list[Invitation]] = {"confirmed": [], "declined": [], "pending": []}
    for invitation in sorted(meeting.invitations, key=lambda i: (i.unit.level, i.unit.code)):
        groups.setdefault(invitation.response, []).append(invitation)
    return groups
