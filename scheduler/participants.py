"""Who is invited: single units and whole subtrees ("all communes of district X", ...)."""
from __future__ import annotations

from sqlalchemy import select

from models import Unit, db
from models.errors import N_, Msg, ValidationFailed
from models.units import find_units, in_province, province_of

#: selectors a booking may use besides plain unit references
GROUPS = {
    "all:districts_and_communes": ("district", "commune"),
    "all:districts": ("district",),
    "all:communes": ("commune",),
    "all:departments": ("department",),
}
PREFIXES = ("communes:", "subtree:")


#: item errors listed in a refusal; the rest are counted in one more line
ERRORS_LISTED = 20


def resolve_participants(items: list[str], organizer: Unit | None = None) -> list[Unit]:
    """Turn unit references and selectors into the invited units, each once, host excluded.

    Selectors: "all:districts_and_communes", "all:districts", "all:communes",
    "all:departments" (each within the organiser's province), "communes:<district ref>" (its
    communes), "subtree:<ref>" (the unit and every unit below it). Dissolved units cannot be invited.
    The references are looked up together (`find_units`) and the subtrees level by level, so a
    list of 5,000 entries costs a handful of statements, not one per entry.

    :raise ValidationFailed: naming `participants` and each item that is wrong (the first
        `ERRORS_LISTED`, then how many more).
    """
    if not isinstance(items, list):
        raise ValidationFailed({"participants": N_("Give a list of unit codes or selectors.")})
    errors: list[Msg] = []
    selectors: list[tuple[str | None, str]] = []  # (prefix, reference), each once, in order
    for item in items:
        if not isinstance(item, str) or not item.strip():
            errors.append(Msg(N_("%(ref)s is not a unit code."), ref=repr(item)))
            continue
        item = item.strip()
        prefix = next((p for p in PREFIXES if item.startswith(p)), None)
        selectors.append((prefix, item[len(prefix):] if prefix else item))
    selectors = list(dict.fromkeys(selectors))
    units = find_units(ref for prefix, ref in selectors if prefix or ref not in GROUPS)
    chosen: dict[int, Unit] = {}
    roots: dict[str, set[int]] = {"communes:": set(), "subtree:": set()}
    for prefix, ref in selectors:
        if prefix is None and ref in GROUPS:  # within the organiser's province when several are loaded
            stmt = select(Unit).where(Unit.level.in_(GROUPS[ref]), Unit.dissolved_on.is_(None))
            if organizer is not None:
                stmt = stmt.where(in_province(province_of(organizer).id))
            chosen.update((unit.id, unit) for unit in db.session.scalars(stmt))
            continue
        unit = units.get(ref)
        if unit is None:
            errors.append(Msg(N_("No unit %(ref)s."), ref=repr(ref)))
        elif unit.dissolved_on is not None:
            errors.append(Msg(N_("%(unit)s (%(ref)s) was dissolved on %(day)s."), unit=unit.name, ref=unit.ref,
                              day=f"{unit.dissolved_on:%d/%m/%Y}"))
        elif prefix is None:
            chosen[unit.id] = unit
        else:
            roots[prefix].add(unit.id)
            if prefix == "subtree:":
                chosen[unit.id] = unit
    if errors:
        listed = errors[:ERRORS_LISTED]
        if len(errors) > ERRORS_LISTED:
            listed.append(Msg(N_("Entries not listed here that are not valid: %(num)d."),
                              num=len(errors) - ERRORS_LISTED))
        raise ValidationFailed({"participants": listed})
    _add_below(chosen, roots["communes:"], levels=1, level="commune")
    _add_below(chosen, roots["subtree:"], levels=2)
    if organizer is not None:
        chosen.pop(organizer.id, None)
    return sorted(chosen.values(), key=lambda u: (u.level, u.code))


def _add_below(chosen: dict[int, Unit], parents: set[int], levels: int, level: str | None = None) -> None:
    """Add the units in force `levels` levels below `parents` (only of `level` if given), one
    statement per level."""
    frontier = parents
    for _ in range(levels):
        if not frontier:
            return
        stmt = select(Unit).where(Unit.parent_id.in_(frontier), Unit.dissolved_on.is_(None))
        if level is not None:
            stmt = stmt.where(Unit.level == level)
        below = list(db.session.scalars(stmt))
        chosen.update((unit.id, unit) for unit in below)
        frontier = {unit.id for unit in below}
