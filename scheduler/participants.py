"""Who is invited: single units and whole subtrees ("all communes of district X", ...)."""
from __future__ import annotations

from sqlalchemy import select

from models import Unit, db
from models.errors import ValidationFailed
from models.units import find_unit, in_province, province_of

#: selectors a booking may use besides plain unit references
GROUPS = {
    "all:districts_and_communes": ("district", "commune"),
    "all:districts": ("district",),
    "all:communes": ("commune",),
    "all:departments": ("department",),
}
PREFIXES = ("communes:", "subtree:")


def resolve_participants(items: list[str], organizer: Unit | None = None) -> list[Unit]:
    """Turn unit references and selectors into the invited units, each once, host excluded.

    Selectors: "all:districts_and_communes", "all:districts", "all:communes",
    "all:departments" (each within the organiser's province), "communes:<district ref>" (its
    communes), "subtree:<ref>" (the unit and every unit below it). Dissolved units cannot be invited.

    :raise ValidationFailed: naming `participants` and each item that is wrong.
    """
    if not isinstance(items, list):
        raise ValidationFailed({"participants": "Give a list of unit codes or selectors."})
    errors: list[str] = []
    chosen: dict[int, Unit] = {}
    for item in items:
        if not isinstance(item, str) or not item.strip():
            errors.append(f"{item!r} is not a unit code.")
            continue
        item = item.strip()
        if item in GROUPS:  # within the organiser's province when several are loaded
            stmt = select(Unit).where(Unit.level.in_(GROUPS[item]), Unit.dissolved_on.is_(None))
            if organizer is not None:
                stmt = stmt.where(in_province(province_of(organizer).id))
            for unit in db.session.scalars(stmt):
                chosen[unit.id] = unit
            continue
        prefix = next((p for p in PREFIXES if item.startswith(p)), None)
        ref = item[len(prefix):] if prefix else item
        unit = find_unit(ref)
        if unit is None:
            errors.append(f"No unit {ref!r}.")
            continue
        if unit.dissolved_on is not None:
            errors.append(f"{unit.name} ({unit.ref}) was dissolved on {unit.dissolved_on:%d/%m/%Y}.")
            continue
        if prefix is None:
            chosen[unit.id] = unit
            continue
        stmt = select(Unit).where(Unit.parent_id == unit.id, Unit.dissolved_on.is_(None))
        if prefix == "communes:":
            stmt = stmt.where(Unit.level == "commune")
        else:
            chosen[unit.id] = unit
        for child in db.session.scalars(stmt):
            chosen[child.id] = child
            if prefix == "subtree:":
                for grandchild in db.session.scalars(select(Unit).where(
                        Unit.parent_id == child.id, Unit.dissolved_on.is_(None))):
                    chosen[grandchild.id] = grandchild
    if errors:
        raise ValidationFailed({"participants": errors})
    if organizer is not None:
        chosen.pop(organizer.id, None)
    return sorted(chosen.values(), key=lambda u: (u.level, u.code))
