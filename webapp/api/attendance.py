"""API: a unit's answer to a meeting, `PUT /meetings/{id}/responses/{unit}`."""
from __future__ import annotations

from apiflask import HTTPError, Schema, fields, validators
from flask_babel import gettext as _

from models import Meeting, db
from models.base import utcnow
from models.errors import DomainError
from models.meetings import ANSWERS, ATTENDEE_MAX, NOTE_MAX, REASON_MAX
from scheduler.attendance import respond

from .common import actor, auth, bp, fail, unit_or_404
from .schemas import LocalDateTime


class ResponseIn(Schema):
    status = fields.String(required=True, validate=validators.OneOf(list(ANSWERS)))
    attendee = fields.String(allow_none=True, validate=validators.Length(max=ATTENDEE_MAX),
                             metadata={"description": "Required to confirm."})
    title = fields.String(allow_none=True, validate=validators.Length(max=ATTENDEE_MAX))
    reason = fields.String(allow_none=True, validate=validators.Length(max=REASON_MAX),
                           metadata={"description": "Required to decline."})
    note = fields.String(allow_none=True, validate=validators.Length(max=NOTE_MAX))


class ResponseOut(Schema):
    unit = fields.String(required=True, metadata={"example": "legacy:00001"})
    unit_name = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "pending, confirmed or declined"})
    attendee = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    responded_at = LocalDateTime(allow_none=True)
    confirmed_before_start = fields.Boolean(required=True)
    connected = fields.Boolean(allow_none=True)


def response_dict(invitation) -> dict:
    """One invited unit's answer as the API shows it (also inside `GET /meetings/{id}`)."""
    return {"unit": invitation.unit.ref, "unit_name": invitation.unit.name,
            "status": invitation.response, "attendee": invitation.attendee_name,
            "title": invitation.attendee_title, "reason": invitation.reason, "note": invitation.note,
            "responded_at": invitation.responded_at,
            "confirmed_before_start": bool(invitation.confirmed_before_start),
            "connected": invitation.connected}


def responses_list(meeting) -> list[dict]:
    """Every invited unit's answer, for the meeting's representation."""
    return [response_dict(i) for i in meeting.invitations]


@bp.put("/meetings/<int:meeting_id>/responses/<string:unit>")
@bp.auth_required(auth)
@bp.input(ResponseIn, location="json")
@bp.output(ResponseOut)
@bp.doc(summary="Answer for an invited unit",
        description="Confirm with the attendee's name (and title), or decline with a reason; "
                    "until the meeting starts. A clerk answers only for their own unit. A unit "
                    "that is not invited answers 404.",
        responses=[403, 404, 422])
def put_response(meeting_id, unit, json_data):
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise HTTPError(404, _("No meeting %(id)s.", id=meeting_id), extra_data={"code": "not_found"})
    u = unit_or_404(unit)
    try:
        invitation = respond(meeting, u, json_data, actor(), utcnow())
    except DomainError as exc:
        fail(exc)
    return response_dict(invitation)
