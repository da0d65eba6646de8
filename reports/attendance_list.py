"""A meeting's attendance list: every invited unit with its answer, grouped by district."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import Invitation, Meeting, Unit, db

RESPONSES = ("confirmed", "declined", "pending")


@dataclass
class AttendanceGroup:
    """The invitations of one district (its communes and itself); `district` None holds the
    city and its departments."""

    district: Unit | None
    invitations: list[Invitation] = field(default_factory=list)

    def count(self, response: str) -> int:
        return sum(i.response == response for i in self.invitations)


def _district_of(unit: Unit) -> Unit | None:
    if unit.level == "district":
        return unit
    if unit.level == "commune" and unit.parent is not None and unit.parent.level == "district":
        return unit.parent
    return None


def attendance_list(meeting: Meeting) -> tuple[dict[str, int], list[AttendanceGroup]]:
    """Counts (invited and each answer) and the groups: districts by name, then the others."""
    rows = db.session.scalars(select(Invitation).where(Invitation.meeting_id == meeting.id)
                              .options(joinedload(Invitation.unit).joinedload(Unit.parent))).all()
    groups: dict[int | None, AttendanceGroup] = {}
    for inv in rows:
        district = _district_of(inv.unit)
        key = district.id if district else None
        groups.setdefault(key, AttendanceGroup(district)).invitations.append(inv)
    for g in groups.values():
        # the district itself first, then its communes by name
        g.invitations.sort(key=lambda i: (i.unit.level != "district", i.unit.search_name, i.unit.code))
    ordered = sorted(groups.values(), key=lambda g: (g.district is None,
                                                     g.district.search_name if g.district else "",
                                                     g.district.code if g.district else ""))
    counts = {"invited": len(rows), **{r: sum(i.response == r for i in rows) for r in RESPONSES}}
    return counts, ordered
