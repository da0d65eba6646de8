"""Schemas of the meeting, bridge and slot routes."""
from __future__ import annotations

from apiflask import Schema, fields, validators

from models.base import ID_MAX
from models.meetings import (
    BRIDGE_NAME_MAX,
    CAPACITY_MAX,
    CATEGORIES,
    DESCRIPTION_MAX,
    LOCATION_MAX,
    MODES,
    OUTCOMES,
    PARTICIPANTS_MAX,
    REASON_MAX,
    RRULE_MAX,
    SELECTOR_MAX,
    STATUSES,
    TITLE_MAX,
)
from models.units import REF_MAX

from .schemas import JsonBoolean, JsonInteger, LocalDateTime

SCOPES = ["this", "following", "all"]
#: unit codes and selectors in a query string: ASCII, so that percent-encoded at most ×3 the
#: request line stays within what the server reads (gunicorn.conf.py: limit_request_line 8190)
QUERY_PARTICIPANTS_MAX = 2000
SELECTORS_PATTERN = r"^[A-Za-z0-9_:., -]+$"


class BridgeIn(Schema):
    name = fields.String(required=True, validate=validators.Length(min=1, max=BRIDGE_NAME_MAX))
    capacity = JsonInteger(required=True, validate=validators.Range(1, CAPACITY_MAX))


class BridgeOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    capacity = fields.Integer(required=True)


class OutcomeIn(Schema):
    status = fields.String(required=True, validate=validators.OneOf(list(OUTCOMES)))
    mode = fields.String(validate=validators.OneOf(list(MODES)))
    connected = fields.List(fields.String(validate=validators.Length(max=REF_MAX)),
                            validate=validators.Length(max=PARTICIPANTS_MAX))


class MeetingIn(Schema):
    title = fields.String(required=True, validate=validators.Length(min=1, max=TITLE_MAX))
    category = fields.String(required=True, validate=validators.OneOf(list(CATEGORIES)))
    organizer = fields.String(required=True, validate=validators.Length(min=1, max=REF_MAX))
    mode = fields.String(required=True, validate=validators.OneOf(list(MODES)))
    start = LocalDateTime(required=True)
    end = LocalDateTime(required=True)
    participants = fields.List(fields.String(validate=validators.Length(min=1, max=SELECTOR_MAX)),
                               load_default=list, validate=validators.Length(max=PARTICIPANTS_MAX))
    bridge = JsonInteger(allow_none=True, load_default=None, validate=validators.Range(1, ID_MAX))
    rrule = fields.String(allow_none=True, validate=validators.Length(max=RRULE_MAX))
    strict = JsonBoolean(load_default=False)
    skip_holidays = JsonBoolean(load_default=False, metadata={
        "description": "A series leaves out its occurrences on non-working days (listed in `skipped`)."})
    description = fields.String(allow_none=True, validate=validators.Length(max=DESCRIPTION_MAX))
    location = fields.String(allow_none=True, validate=validators.Length(max=LOCATION_MAX))
    outcome = fields.Nested(OutcomeIn, allow_none=True)


class MeetingPatch(Schema):
    title = fields.String(validate=validators.Length(min=1, max=TITLE_MAX))
    category = fields.String(validate=validators.OneOf(list(CATEGORIES)))
    mode = fields.String(validate=validators.OneOf(list(MODES)))
    start = LocalDateTime()
    end = LocalDateTime()
    participants = fields.List(fields.String(validate=validators.Length(min=1, max=SELECTOR_MAX)),
                               validate=validators.Length(max=PARTICIPANTS_MAX))
    bridge = JsonInteger(validate=validators.Range(1, ID_MAX))
    description = fields.String(allow_none=True, validate=validators.Length(max=DESCRIPTION_MAX))
    location = fields.String(allow_none=True, validate=validators.Length(max=LOCATION_MAX))
    scope = fields.String(load_default="this", validate=validators.OneOf(SCOPES))
    reason = fields.String(load_default=None, allow_none=True, validate=validators.Length(max=REASON_MAX),
                           metadata={"description": "Told to the invited units."})


class CancelIn(Schema):
    scope = fields.String(load_default="this", validate=validators.OneOf(SCOPES))
    reason = fields.String(load_default=None, allow_none=True, validate=validators.Length(max=REASON_MAX),
                           metadata={"description": "Told to the invited units; NFC, with visible characters."})


class ParticipantOut(Schema):
    unit = fields.String(required=True)
    name = fields.String(required=True)
    response = fields.String(required=True)
    attendee = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    responded_at = LocalDateTime(allow_none=True)
    connected = fields.Boolean(allow_none=True)


class SeriesOut(Schema):
    id = fields.Integer(required=True)
    uid = fields.String(required=True)
    rrule = fields.String(required=True)


class MeetingOut(Schema):
    id = fields.Integer(required=True)
    uid = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(allow_none=True)
    category = fields.String(required=True)
    organizer = fields.String(required=True)
    organizer_name = fields.String(required=True)
    mode = fields.String(required=True)
    start = LocalDateTime(required=True)
    end = LocalDateTime(required=True)
    location = fields.String(allow_none=True)
    bridge = fields.Integer(allow_none=True)
    ports = fields.Integer(required=True)
    status = fields.String(required=True, validate=validators.OneOf(list(STATUSES)))
    revision = fields.Integer(required=True)
    series = fields.Nested(SeriesOut, allow_none=True)
    recurrence_id = LocalDateTime(allow_none=True)
    outcome_mode = fields.String(allow_none=True)
    awaiting_outcome = fields.Boolean(required=True)
    participants = fields.List(fields.Nested(ParticipantOut))


class DayOffOut(Schema):
    date = fields.String(required=True)
    start = fields.String(required=True)
    name = fields.String(allow_none=True)


class WarningsOut(Schema):
    not_ready = fields.List(fields.String(), required=True)
    holiday = fields.List(fields.Nested(DayOffOut), metadata={
        "description": "Occurrences on a day off (Tết, 30/4, an office day off), named in Vietnamese."})


class BookingOut(MeetingOut):
    occurrences = fields.List(fields.Nested(MeetingOut), required=True)
    warnings = fields.Nested(WarningsOut, required=True)
    skipped = fields.List(fields.Nested(DayOffOut), metadata={
        "description": "Occurrences left out on non-working days (skip_holidays)."})


class MeetingsQuery(Schema):
    unit = fields.String(validate=validators.Length(max=REF_MAX))
    status = fields.String(validate=validators.OneOf(list(STATUSES) + ["awaiting_outcome"]))
    from_ = LocalDateTime(data_key="from")
    to = LocalDateTime()
    limit = fields.Integer(load_default=500, validate=validators.Range(1, 5000))


class SlotsQuery(Schema):
    participants = fields.String(required=True, validate=[
        validators.Length(min=1, max=QUERY_PARTICIPANTS_MAX), validators.Regexp(SELECTORS_PATTERN)],
        metadata={"description": "Comma-separated unit codes or selectors."})
    duration = fields.Integer(required=True, validate=validators.Range(5, 24 * 60),
                              metadata={"description": "Minutes."})
    from_ = LocalDateTime(data_key="from", required=True)
    to = LocalDateTime(required=True)
    bridge = fields.Integer(validate=validators.Range(1, ID_MAX))
    organizer = fields.String(validate=validators.Length(max=REF_MAX))
    limit = fields.Integer(load_default=10, validate=validators.Range(1, 100))


class SlotOut(Schema):
    start = LocalDateTime(required=True)
    end = LocalDateTime(required=True)
