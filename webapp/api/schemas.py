"""Marshmallow schemas of the API; they also generate the OpenAPI document."""
from __future__ import annotations

import re
from datetime import UTC, datetime

from apiflask import Schema, fields, validators
from marshmallow import ValidationError

from models.base import LOCAL
from models.endpoints import ADDRESS_MAX, BANDWIDTH_MAX_KBPS, CHECK_NOTE_MAX, KINDS, NAME_MAX, ROOM_MAX
from models.endpoints import STATUSES as ENDPOINT_STATUSES
from models.errors import N_
from models.units import LEVELS, REF_MAX

#: the offset of an ISO 8601 time: hours and minutes (fromisoformat reads +07:60 as +08:00)
_OFFSET = re.compile(r"[+-]([0-9]{2}):?([0-9]{2})")


class LocalDateTime(fields.Field):
    """ISO 8601; a value without an offset means Asia/Ho_Chi_Minh. Written with +07:00."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update({"type": "string", "format": "date-time"})
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(LOCAL).isoformat()

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError(N_("Not a valid datetime: give an ISO 8601 string."))
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValidationError(N_("Not a valid ISO 8601 datetime.")) from exc
        offset = _OFFSET.search(value.strip().split("T", 1)[-1]) if "T" in value else None
        if offset and (int(offset.group(1)) > 23 or int(offset.group(2)) > 59):
            raise ValidationError(N_("Not a valid UTC offset: give ±HH:MM with minutes below 60."))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=LOCAL)
        if not (1900 <= parsed.year <= 2200):
            raise ValidationError(N_("Year out of range."))
        return parsed.astimezone(UTC)


class JsonBoolean(fields.Boolean):
    """In a JSON body: true or false, nothing else (marshmallow's Boolean also takes 0, 1, "yes"
    and "on", which the document, `type: boolean`, does not allow)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class JsonInteger(fields.Integer):
    """In a JSON body: an integer as JSON Schema reads one, `3` or `3.0` (a number whose fraction
    is zero), never `1.5`, `"3"` or `true` (marshmallow's strict Integer also refused `3.0`,
    which the document, `type: integer`, allows)."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _validated(self, value):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._validated(value)


ERROR_SCHEMA = {
    "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "details": {"type": "object"}}, "required": ["code", "message", "details"]}},
    "type": "object", "required": ["error"],
}


class UnitOut(Schema):
    code = fields.String(required=True, metadata={"example": "legacy:00001"})
    name = fields.String(required=True)
    level = fields.String(required=True)
    division_type = fields.String(required=True)
    parent = fields.String(allow_none=True)
    ready = fields.Boolean(required=True)
    dissolved_on = fields.Date(allow_none=True)
    successors = fields.List(fields.String())


class UnitsQuery(Schema):
    level = fields.String(validate=validators.OneOf(list(LEVELS)))
    parent = fields.String(validate=validators.Length(max=REF_MAX))
    q = fields.String(validate=validators.Length(max=100))
    include_dissolved = fields.Boolean(load_default=False)


class CheckOut(Schema):
    id = fields.Integer(required=True)
    checked_at = LocalDateTime(required=True)
    passed = fields.Boolean(required=True)
    audio_ok = fields.Boolean(allow_none=True)
    video_ok = fields.Boolean(allow_none=True)
    bandwidth_kbps = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)


class EndpointOut(Schema):
    id = fields.Integer(required=True)
    unit = fields.String(required=True)
    name = fields.String(required=True)
    room = fields.String(allow_none=True)
    kind = fields.String(required=True)
    address = fields.String(allow_none=True)
    status = fields.String(required=True)
    ready = fields.Boolean(required=True)
    last_check = fields.Nested(CheckOut, allow_none=True)


class UnitDetailOut(UnitOut):
    endpoints = fields.List(fields.Nested(EndpointOut), required=True)


class EndpointIn(Schema):
    name = fields.String(required=True, validate=validators.Length(min=1, max=NAME_MAX))
    room = fields.String(allow_none=True, validate=validators.Length(max=ROOM_MAX))
    kind = fields.String(required=True, validate=validators.OneOf(list(KINDS)))
    address = fields.String(allow_none=True, validate=validators.Length(max=ADDRESS_MAX))
    status = fields.String(load_default="planned", validate=validators.OneOf(list(ENDPOINT_STATUSES)))


class EndpointPatch(Schema):
    name = fields.String(validate=validators.Length(min=1, max=NAME_MAX))
    room = fields.String(allow_none=True, validate=validators.Length(max=ROOM_MAX))
    kind = fields.String(validate=validators.OneOf(list(KINDS)))
    address = fields.String(allow_none=True, validate=validators.Length(max=ADDRESS_MAX))
    status = fields.String(validate=validators.OneOf(list(ENDPOINT_STATUSES)))


class CheckIn(Schema):
    passed = JsonBoolean(required=True)
    audio_ok = JsonBoolean(allow_none=True)
    video_ok = JsonBoolean(allow_none=True)
    bandwidth_kbps = JsonInteger(allow_none=True, validate=validators.Range(0, BANDWIDTH_MAX_KBPS))
    note = fields.String(allow_none=True, validate=validators.Length(max=CHECK_NOTE_MAX))
    checked_at = LocalDateTime()


class ReadinessQuery(Schema):
    parent = fields.String(validate=validators.Length(max=REF_MAX))


class ReadinessRowOut(Schema):
    unit = fields.String(required=True)
    name = fields.String(required=True)
    ready = fields.Integer(required=True)
    total = fields.Integer(required=True)
    share = fields.Float(allow_none=True)


class ReadinessOut(Schema):
    ready = fields.Integer(required=True)
    total = fields.Integer(required=True)
    share = fields.Float(allow_none=True)
    target = fields.Float(required=True)
    districts = fields.List(fields.Nested(ReadinessRowOut), required=True)


class FeedOut(Schema):
    url = fields.String(required=True)
