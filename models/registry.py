"""Verbs on the registry: search units, add and change endpoints, log connectivity checks."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from blinker import Namespace
from sqlalchemy import Select, case, select

from models.errors import N_, Msg

from . import audit
from .base import db, utcnow
from .calendar_feeds import dial_addresses
from .database import write_transaction
from .endpoints import (
    ADDRESS_MAX,
    BANDWIDTH_MAX_KBPS,
    CHECK_NOTE_MAX,
    KINDS,
    NAME_MAX,
    ROOM_MAX,
    STATUSES,
    ConnectivityCheck,
    Endpoint,
)
from .errors import Forbidden, ValidationFailed
from .permissions import can_log_check, can_manage_endpoints
from .text import contains_words, nfc
from .units import LEVELS, Unit, in_province
from .users import User

ENDPOINT_FIELDS = ("unit_id", "name", "room", "kind", "address", "status")

#: sent inside the endpoint verbs' transaction when a unit's dial-in addresses change, with
#: unit_id, before and after (lists of addresses); `scheduler.joining` tells the invitees
dial_in_changed = Namespace().signal("dial-in-changed")


def _tell_dial_in(unit_id: int, before: list[str]) -> None:
    db.session.flush()
    after = dial_addresses({unit_id})[unit_id]
    if after != before:
        dial_in_changed.send(None, unit_id=unit_id, before=before, after=after)


def units_query(q: str | None = None, level: str | None = None, parent: Unit | None = None,
                include_dissolved: bool = False, province: Unit | None = None) -> Select:
    """Units matching a diacritic- and case-insensitive search, a level, a parent and a province
    (its city unit: with several provinces loaded, one province's units)."""
    stmt = select(Unit)
    if province is not None:
        stmt = stmt.where(in_province(province.id))
    stmt = stmt.where(*contains_words(Unit.search_name, q))
    if level:
        stmt = stmt.where(Unit.level == level)
    if parent is not None:
        stmt = stmt.where(Unit.parent_id == parent.id)
    if not include_dissolved:
        stmt = stmt.where(Unit.dissolved_on.is_(None))
    level_order = case({lvl: i for i, lvl in enumerate(LEVELS)}, value=Unit.level)
    return stmt.order_by(level_order, Unit.code)


def _clean_endpoint(data: dict[str, Any], partial: bool) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for key, limit in (("name", NAME_MAX), ("room", ROOM_MAX), ("address", ADDRESS_MAX)):
        if key in data:
            value = nfc(data[key]) if data[key] is not None else None
            if value is not None and len(value) > limit:
                errors[key] = N_("Too long.")
            out[key] = value or None
    if not partial or "name" in data:
        if not out.get("name"):
            errors["name"] = N_("A name is required.")
    if not partial or "kind" in data:
        if data.get("kind") not in KINDS:
            errors["kind"] = Msg(N_("Must be one of: %(values)s."), values=", ".join(KINDS))
        out["kind"] = data.get("kind")
    if "status" in data or not partial:
        status = data.get("status", "planned")
        if status not in STATUSES:
            errors["status"] = Msg(N_("Must be one of: %(values)s."), values=", ".join(STATUSES))
        out["status"] = status
    if errors:
        raise ValidationFailed(errors)
    return out


def add_endpoint(unit: Unit, data: dict[str, Any], actor: User) -> Endpoint:
    """Add a videoconference endpoint to a unit."""
    if not can_manage_endpoints(actor, unit):
        raise Forbidden(N_("You may not add endpoints to this unit."))
    with write_transaction():
        values = _clean_endpoint(data, partial=False)
        dial_before = dial_addresses({unit.id})[unit.id]
        endpoint = Endpoint(unit=unit, **values)
        db.session.add(endpoint)
        db.session.flush()
        _tell_dial_in(unit.id, dial_before)
        audit.record(actor, "create", "endpoint", endpoint.id,
                     after=audit.snapshot(endpoint, ENDPOINT_FIELDS))
    return endpoint


def change_endpoint(endpoint: Endpoint, data: dict[str, Any], actor: User) -> Endpoint:
    """Change an endpoint's name, room, kind, address or status."""
    if not can_manage_endpoints(actor, endpoint.unit):
        raise Forbidden(N_("You may not change this endpoint."))
    with write_transaction():  # lock before reading the row we change
        values = _clean_endpoint(data, partial=True)
        before = audit.snapshot(endpoint, ENDPOINT_FIELDS)
        dial_before = dial_addresses({endpoint.unit_id})[endpoint.unit_id]
        for key, value in values.items():
            setattr(endpoint, key, value)
        after = audit.snapshot(endpoint, ENDPOINT_FIELDS)
        if after != before:
            audit.record(actor, "update", "endpoint", endpoint.id, before=before, after=after)
            _tell_dial_in(endpoint.unit_id, dial_before)
    return endpoint


def log_check(endpoint: Endpoint, data: dict[str, Any], actor: User,
              now: datetime | None = None) -> ConnectivityCheck:
    """Record a connectivity check; the endpoint's latest result follows the newest check."""
    if not can_log_check(actor, endpoint.unit):
        raise Forbidden(N_("You may not log checks for this unit's endpoints."))
    with write_transaction():  # SQLite: the lock before reading last_check_at
        now = now or utcnow()
        errors: dict[str, str] = {}
        checked_at = data.get("checked_at") or now
        if checked_at.tzinfo is None:
            errors["checked_at"] = N_("Give a time zone offset.")
        elif checked_at > now:
            errors["checked_at"] = N_("A check cannot be in the future.")
        if not isinstance(data.get("passed"), bool):
            errors["passed"] = N_("Say whether the check passed (true or false).")
        bandwidth = data.get("bandwidth_kbps")
        if bandwidth is not None and not (0 <= bandwidth <= BANDWIDTH_MAX_KBPS):
            errors["bandwidth_kbps"] = Msg(N_("Must be between %(low)s and %(high)s."), low=0, high=BANDWIDTH_MAX_KBPS)
        note = nfc(data.get("note")) or None
        if note and len(note) > CHECK_NOTE_MAX:
            errors["note"] = Msg(N_("At most %(limit)s characters."), limit=CHECK_NOTE_MAX)
        if errors:
            raise ValidationFailed(errors)
        check = ConnectivityCheck(endpoint=endpoint, checked_at=checked_at.astimezone(UTC),
                                  checked_by_id=actor.id, passed=data["passed"],
                                  audio_ok=data.get("audio_ok"), video_ok=data.get("video_ok"),
                                  bandwidth_kbps=bandwidth, note=note)
        db.session.add(check)
        if endpoint.last_check_at is None or check.checked_at >= endpoint.last_check_at:
            endpoint.last_check_at = check.checked_at
            endpoint.last_check_passed = check.passed
        db.session.flush()
        audit.record(actor, "check", "endpoint", endpoint.id,
                     after={"check_id": check.id, "passed": check.passed,
                            "checked_at": check.checked_at.isoformat()})
    return check
