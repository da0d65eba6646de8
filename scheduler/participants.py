"""Who is invited: single units and whole subtrees ("all communes of district X", ...)."""
from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from models import Unit, db
from models.errors import N_, Msg, ValidationFailed
from models.units import find_units, in_province, province_of, unit_ref

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


class Invitee(NamedTuple):
    """An invited unit as booking needs it: read as columns, not as an ORM object (a briefing to
    the whole country invites 3,321)."""

    id: int
    dataset: str
    code: str
    level: str
    name: str

    @property
    def ref(self) -> str:
        return unit_ref(self.dataset, self.code)


def resolve_invitees(items: list[str], organizer: Unit | None = None) -> list[Invitee]:
    """Turn unit references and selectors into the invited units, each once, host excluded.

    Selectors: "all:districts_and_communes", "all:districts", "all:communes",
    "all:departments" (each within the organiser's province), "communes:<district ref>" (its
    communes), "subtree:<ref>" (the unit and every unit below it, two levels down). Dissolved
    units cannot be invited. The references are looked up in one query, the invited units read
    in one more, whatever the number of items and units.

    An entry named several times is looked up once.

    :raise ValidationFailed: naming `participants` and each item that is wrong (the first
        `ERRORS_LISTED`, in the items' order, then how many more).
    """
    if not isinstance(items, list):
        raise ValidationFailed({"participants": N_("Give a list of unit codes or selectors.")})
    errors: list[tuple[int, Msg]] = []  # (the item's place, what is wrong): named in the items' order
    levels: set[str] = set()
    single: set[int] = set()  # the units themselves
    communes_of: set[int] = set()  # their communes
    below: set[int] = set()  # their children and grandchildren
    named: list[tuple[int, str | None, str]] = []
    seen: set[tuple[str | None, str]] = set()
    for place, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            errors.append((place, Msg(N_("%(ref)s is not a unit code."), ref=repr(item))))
            continue
        item = item.strip()
        if item in GROUPS:  # within the organiser's province when several are loaded
            levels.update(GROUPS[item])
            continue
        prefix = next((p for p in PREFIXES if item.startswith(p)), None)
        entry = (prefix, item[len(prefix):] if prefix else item)
        if entry not in seen:
            seen.add(entry)
            named.append((place, *entry))
    units = find_units([ref for _place, _prefix, ref in named]) if named else {}
    for place, prefix, ref in named:
        unit = units.get(ref)
        if unit is None:
            errors.append((place, Msg(N_("No unit %(ref)s."), ref=repr(ref))))
            continue
        if unit.dissolved_on is not None:
            errors.append((place, Msg(N_("%(unit)s (%(ref)s) was dissolved on %(day)s."), unit=unit.name,
                                      ref=unit.ref, day=f"{unit.dissolved_on:%d/%m/%Y}")))
            continue
        if prefix == "communes:":
            communes_of.add(unit.id)
            continue
        single.add(unit.id)
        if prefix == "subtree:":
            below.add(unit.id)
    if errors:
        listed = [msg for _place, msg in sorted(errors, key=lambda e: e[0])]
        if len(listed) > ERRORS_LISTED:
            listed = listed[:ERRORS_LISTED] + [Msg(N_("Entries not listed here that are not valid: %(num)d."),
                                                   num=len(listed) - ERRORS_LISTED)]
        raise ValidationFailed({"participants": listed})
    live = Unit.dissolved_on.is_(None)
    wanted = []
    if levels:
        group = and_(Unit.level.in_(sorted(levels)), live)
        if organizer is not None:
            group = and_(group, in_province(province_of(organizer).id))
        wanted.append(group)
    if single:
        wanted.append(Unit.id.in_(sorted(single)))
    if communes_of:
        wanted.append(and_(Unit.parent_id.in_(sorted(communes_of)), Unit.level == "commune", live))
    if below:
        child = aliased(Unit)
        wanted.append(and_(live, or_(Unit.parent_id.in_(sorted(below)), Unit.parent_id.in_(
            select(child.id).where(child.parent_id.in_(sorted(below)), child.dissolved_on.is_(None))))))
    if not wanted:
        return []
    rows = db.session.execute(select(Unit.id, Unit.dataset, Unit.code, Unit.level, Unit.name)
                              .where(or_(*wanted))).all()
    host = organizer.id if organizer is not None else None
    return sorted((Invitee(*row) for row in rows if row[0] != host), key=lambda u: (u.level, u.code))


def resolve_participants(items: list[str], organizer: Unit | None = None) -> list[Unit]:
    """`resolve_invitees` as `Unit` objects, for callers that walk the units' relations."""
    invitees = resolve_invitees(items, organizer)
    ids = [u.id for u in invitees]
    found: dict[int, Unit] = {}
    for i in range(0, len(ids), 900):
        found.update((u.id, u) for u in db.session.scalars(select(Unit).where(Unit.id.in_(ids[i:i + 900]))))
    return [found[i] for i in ids]
