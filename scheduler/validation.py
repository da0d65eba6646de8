"""Checking a meeting's fields before any row is written."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from models import Bridge, db
from models.errors import N_, Msg
from models.meetings import CATEGORIES, DESCRIPTION_MAX, LOCATION_MAX, MODES, TITLE_MAX
from models.text import has_visible, nfc
from models.units import find_unit

from .clashes import LONGEST_SESSION

MAX_DURATION = LONGEST_SESSION


def clean_fields(data: dict[str, Any], partial: bool, errors: dict[str, Any]) -> dict[str, Any]:
    """Title, category, mode, text fields and times; problems go into `errors` by field."""
    out: dict[str, Any] = {}
    if not partial or "title" in data:
        title = nfc(data.get("title")) if isinstance(data.get("title"), str) else None
        if not has_visible(title):
            errors["title"] = N_("A title is required.")
        elif len(title) > TITLE_MAX:
            errors["title"] = Msg(N_("At most %(limit)s characters."), limit=TITLE_MAX)
        out["title"] = title
    if not partial or "category" in data:
        if data.get("category") not in CATEGORIES:
            errors["category"] = Msg(N_("Must be one of: %(values)s."), values=", ".join(CATEGORIES))
        out["category"] = data.get("category")
    if not partial or "mode" in data:
        if data.get("mode") not in MODES:
            errors["mode"] = Msg(N_("Must be one of: %(values)s."), values=", ".join(MODES))
        out["mode"] = data.get("mode")
    for key, limit in (("description", DESCRIPTION_MAX), ("location", LOCATION_MAX)):
        if key in data:
            value = data.get(key)
            if value is not None and not isinstance(value, str):
                errors[key] = N_("Must be text.")
                continue
            value = nfc(value) or None
            if value and len(value) > limit:
                errors[key] = Msg(N_("At most %(limit)s characters."), limit=limit)
            out[key] = value
    for key in ("start", "end"):
        if not partial or key in data:
            value = data.get(key)
            if not isinstance(value, datetime) or value.tzinfo is None:
                errors[key] = N_("Give a date and time (ISO 8601).")
            else:
                out[key] = value
    if "start" in out and "end" in out:
        if out["end"] <= out["start"]:
            errors["end"] = N_("The end must be after the start.")
        elif out["end"] - out["start"] > MAX_DURATION:
            errors["end"] = N_("A meeting lasts at most 24 hours.")
    return out


def resolve_organizer(ref: Any, errors: dict[str, Any]):
    unit = find_unit(ref) if isinstance(ref, str) else None
    if unit is None:
        errors["organizer"] = Msg(N_("No unit %(ref)s."), ref=repr(ref))
    elif unit.dissolved_on is not None:
        errors["organizer"] = Msg(N_("%(unit)s was dissolved."), unit=unit.name)
        return None
    return unit


def resolve_bridge(value: Any, errors: dict[str, Any]) -> Bridge | None:
    if value is None:
        return None
    bridge = db.session.get(Bridge, value) if isinstance(value, int) and not isinstance(value, bool) else None
    if bridge is None:
        errors["bridge"] = Msg(N_("No bridge %(ref)s."), ref=repr(value))
    elif bridge.retired_at is not None:
        errors["bridge"] = Msg(N_("%(bridge)s is retired and takes no new bookings."), bridge=bridge.name)
        return None
    return bridge
