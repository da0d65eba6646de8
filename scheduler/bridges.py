"""Bridges (MCUs) as the city office runs them: add, change, retire, and the load per hour.

The load is read with the same sweep the booking check uses (`clashes.peak_ports` over
`clashes.bridge_sessions`), so what the page shows is what booking will enforce.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from models import Bridge, db
from models.audit import record, snapshot
from models.base import LOCAL, utcnow
from models.database import write_transaction
from models.errors import N_, Conflict, Forbidden, Msg, ValidationFailed
from models.meetings import BRIDGE_NAME_MAX, BRIDGE_NOTES_MAX, CAPACITY_MAX, DIAL_PREFIX_MAX
from models.permissions import can_manage_bridges
from models.text import has_visible, nfc

from .clashes import bridge_sessions, peak_ports
from .joining import bridge_changed


def clean_text(value: str, multiline: bool = False) -> str:
    """NFC, trimmed; a single-line field has its line breaks folded into spaces."""
    text = nfc(value) or ""
    return text if multiline else " ".join(text.split())


FIELDS = ("name", "capacity", "dial_prefix", "notes", "retired_at")


def _clean(values: dict[str, Any], bridge: Bridge | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    name_taken = False
    if "name" in values or bridge is None:
        name = clean_text(values.get("name") or "")
        if not has_visible(name):
            errors["name"] = N_("A bridge needs a name.")
        elif len(name) > BRIDGE_NAME_MAX:
            errors["name"] = Msg(N_("At most %(limit)s characters."), limit=BRIDGE_NAME_MAX)
        else:
            taken = db.session.scalar(select(Bridge.id).where(Bridge.name == name))
            if taken is not None and (bridge is None or taken != bridge.id):
                name_taken = True
            out["name"] = name
    if "capacity" in values or bridge is None:
        capacity = values.get("capacity")
        if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= CAPACITY_MAX:
            errors["capacity"] = N_("Capacity is a whole number of ports from 1 to 100000.")
        else:
            out["capacity"] = capacity
    for key, limit in (("dial_prefix", DIAL_PREFIX_MAX), ("notes", BRIDGE_NOTES_MAX)):
        if key in values:
            text = clean_text(values.get(key) or "", multiline=key == "notes") or None
            if text and len(text) > limit:
                errors[key] = N_("Too long.")
            out[key] = text
    if errors:
        raise ValidationFailed(errors)
    if name_taken:
        raise Conflict(N_("Another bridge has this name."),
                       {"name": [N_("Another bridge has this name.")], "conflicts": []})
    return out


def add_bridge(values: dict[str, Any], actor) -> Bridge:
    """Add a bridge; only admins (`actor` None: the command line).

    :raise ValidationFailed: no name or a capacity out of range. :raise Conflict: a taken name.
    """
    if actor is not None and not can_manage_bridges(actor):
        raise Forbidden(N_("Only admins add bridges."))
    with write_transaction():  # SQLite: the lock before checking the name is free
        bridge = Bridge(**_clean(values, None))
        db.session.add(bridge)
        db.session.flush()
        record(actor, "create", "bridge", bridge.id, None, snapshot(bridge, FIELDS))
    return bridge


def change_bridge(bridge: Bridge, values: dict[str, Any], actor) -> Bridge:
    """Change name, capacity, dial-in prefix or notes.

    Lowering the capacity below what is already booked is refused: those meetings were promised
    their ports. :raise Conflict: with the peak in use.
    """
    with write_transaction():
        before = snapshot(bridge, FIELDS)
        clean = _clean(values, bridge)
        if "capacity" in clean and clean["capacity"] < bridge.capacity:
            now = utcnow()
            sessions = [(m.start_at, m.end_at, m.ports)
                        for m in bridge_sessions(bridge.id, now, now + timedelta(days=3660))]
            far = max((e for _, e, _ in sessions), default=now)
            peak = peak_ports(sessions, (now, far))
            if peak > clean["capacity"]:
                raise Conflict(N_("%(peak)s ports are already booked on this bridge at once; "
                                  "the capacity cannot go below that."), peak=peak)
        for key, value in clean.items():
            setattr(bridge, key, value)
        after = snapshot(bridge, FIELDS)
        if after != before:
            record(actor, "update", "bridge", bridge.id, before, after)
            bridge_changed(bridge, before)  # invitees of its upcoming meetings hear of a new name or prefix
    return bridge


def retire_bridge(bridge: Bridge, actor, retired: bool = True) -> Bridge:
    """Retire (or bring back) a bridge: its meetings stay, new bookings are refused."""
    with write_transaction():
        before = snapshot(bridge, FIELDS)
        bridge.retired_at = (bridge.retired_at or utcnow()) if retired else None
        after = snapshot(bridge, FIELDS)
        if after != before:
            record(actor, "retire" if retired else "reactivate", "bridge", bridge.id, before, after)
    return bridge


@dataclass(frozen=True)
class HourLoad:
    start: datetime  # local
    peak: int
    free: int


def bridge_load(bridge: Bridge, first_day: date, days: int = 1) -> list[list[HourLoad]]:
    """Per local day, 24 hours of the peak ports in use (and what is left of the capacity)."""
    lo = datetime.combine(first_day, time(0), LOCAL)
    hi = datetime.combine(first_day + timedelta(days=days), time(0), LOCAL)
    sessions = [(m.start_at, m.end_at, m.ports) for m in bridge_sessions(bridge.id, lo, hi)]
    out: list[list[HourLoad]] = []
    for d in range(days):
        day = first_day + timedelta(days=d)
        row = []
        for hour in range(24):
            start = datetime.combine(day, time(hour), LOCAL)
            peak = peak_ports(sessions, (start, start + timedelta(hours=1)))
            row.append(HourLoad(start, peak, bridge.capacity - peak))
        out.append(row)
    return out
