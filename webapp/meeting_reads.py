"""The read side of the meeting pages: which meetings and units they show, history, calendars."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, exists, or_, select
from sqlalchemy.orm import joinedload

from models import AuditLog, Invitation, Meeting, Unit, db
from models.meetings import LONGEST_SESSION
from models.permissions import visible_unit_ids
from models.text import contains_words
from models.units import LEVELS, find_unit, subtree_ids
from reports.figures_cache import cached, figures_key

from .clerk_home import Page, _page
from .meeting_forms import (
    CATEGORY_LABELS,
    LOCAL,
    MODE_LABELS,
    STATUS_LABELS,
    local_instant,
)

LIST_PAGE = 50  # meetings per page of the list
MONTH_CELL = 6  # meetings listed in a day of the month grid; the week view shows them all

FIELD_LABELS = {"title": _l("Title"), "category": _l("Category"), "mode": _l("Mode"),
                "start_at": _l("Start"), "end_at": _l("End"), "location": _l("Location"),
                "description": _l("Description"), "bridge_id": _l("Bridge"),
                "status": _l("Status"), "outcome_mode": _l("Held as"),
                "participants": _l("Participants"), "connected": _l("Units that connected")}


def involving(unit_ids) -> ColumnElement[bool]:
    """The meeting is organised by one of these units or invites one of them.

    The invitation is a correlated EXISTS, probed per meeting on the (unit, meeting) index, so
    a list bounded in time reads only the meetings of its window; `id IN (SELECT meeting_id ...)`
    made PostgreSQL scan every meeting for a clerk's list (issue #17)."""
    ids = sorted(unit_ids)
    return or_(Meeting.organizer_id.in_(ids), exists().where(
        Invitation.meeting_id == Meeting.id, Invitation.unit_id.in_(ids)))


@dataclass
class MeetingFilter:
    """The list's filters: unit, status, words of the title, local days from and to (inclusive)."""

    unit: Unit | None = None
    status: str = ""
    q: str = ""
    date_from: date | None = None
    date_to: date | None = None

    @property
    def has_range(self) -> bool:
        return self.date_from is not None or self.date_to is not None


def parse_day(value: str | None) -> date | None:
    """dd/mm/yyyy (or yyyy-mm-dd) to a date; anything else is None."""
    value = (value or "").strip()[:10]
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def visible_meetings_query(user, now: datetime, f: MeetingFilter) -> Select:
    """Meetings for the list: upcoming ones unless a status or a date range says otherwise."""
    stmt = select(Meeting).options(joinedload(Meeting.organizer))
    visible = visible_unit_ids(user)
    if visible is not None:
        stmt = stmt.where(involving(visible))
    if f.unit is not None:
        stmt = stmt.where(involving([f.unit.id]))
    stmt = stmt.where(*contains_words(Meeting.search_title, f.q))
    if f.date_from is not None:
        stmt = stmt.where(Meeting.start_at >= local_instant(f.date_from, time.min))
    if f.date_to is not None:
        stmt = stmt.where(Meeting.start_at < local_instant(f.date_to + timedelta(days=1), time.min))
    if f.status == "awaiting":
        stmt = stmt.where(Meeting.awaiting_outcome(now))
    elif f.status == "held":
        stmt = stmt.where(Meeting.status == "held")
    else:
        if not f.has_range:  # not over yet; the start bound lets the start index find them
            stmt = stmt.where(Meeting.end_at > now, Meeting.start_at > now - LONGEST_SESSION)
        if f.status:
            stmt = stmt.where(Meeting.status == f.status)
    newest_first = f.status in ("held", "awaiting") and not f.has_range
    order = Meeting.start_at.desc() if newest_first else Meeting.start_at
    return stmt.order_by(order, Meeting.id)


def meetings_page(user, now: datetime, f: MeetingFilter, number: int = 1, size: int = LIST_PAGE) -> Page:
    """One page of the list (size + 1 rows read to tell whether a next page exists)."""
    return _page(visible_meetings_query(user, now, f), number, size)


def _active_units() -> list[Unit]:
    units = db.session.scalars(select(Unit).where(Unit.dissolved_on.is_(None))).all()
    return sorted(units, key=lambda u: (LEVELS.index(u.level), u.search_name, u.code))


def organisable_units(user) -> list[Unit]:
    """The units the user may book meetings for."""
    if user.role == "admin":
        return _active_units()
    if user.role != "organizer" or user.unit_id is None:
        return []
    scope = subtree_ids(user.unit_id)
    return [u for u in _active_units() if u.id in scope]


def participant_tree(selected=()) -> dict:
    """The picker's tree: departments, districts each with its communes, the communes under no
    district (the two-level structure of 1 July 2025), and the rest (the city, and selected units
    no longer active, so an edit keeps them)."""
    units = _active_units()
    by_parent: dict[int, list[Unit]] = defaultdict(list)
    for u in units:
        if u.level == "commune":
            by_parent[u.parent_id].append(u)
    districts = [(d, by_parent.pop(d.id, [])) for d in units if d.level == "district"]
    placed = {u.ref for u in units}
    communes = sorted((c for cs in by_parent.values() for c in cs), key=lambda u: u.search_name)
    rest = [u for u in units if u.level == "city"]
    gone = [r for r in selected if r not in placed]
    if gone:
        rest += list(db.session.scalars(select(Unit).where(
            Unit.id.in_([u.id for r in gone if (u := find_unit(r)) is not None]))))
    return {"departments": [u for u in units if u.level == "department"], "districts": districts,
            "communes": communes, "rest": rest}


def unit_choices() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The picker's lists: districts, and every active unit (kept per data version, which units
    are part of: the list of every meeting page would otherwise load 579 units each time).
    Shared: callers must not change them."""
    return cached(figures_key("unit-choices"), _unit_choices)


def _unit_choices() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    units = _active_units()
    return ([(u.ref, u.name) for u in units if u.level == "district"],
            [(u.ref, f"{u.name} ({u.ref})") for u in units])


def unit_names(refs: set[str]) -> dict[str, str]:
    """Unit references to names, in one query per 900 codes."""
    codes = sorted({r.split(":", 1)[-1] for r in refs})
    names = {}
    for i in range(0, len(codes), 900):
        for u in db.session.scalars(select(Unit).where(Unit.code.in_(codes[i:i + 900]))):
            if u.ref in refs:
                names[u.ref] = u.name
    return names


def audit_changes(row: AuditLog) -> list[tuple[str, str, str]]:
    """What one audit row changed: (field, before, after) as text for the page."""
    before, after = row.before or {}, row.after or {}
    out = []
    for key, label in FIELD_LABELS.items():
        if key not in after or (row.action != "create" and before.get(key) == after.get(key)):
            continue
        if row.action == "create" and key not in ("title", "start_at", "end_at", "participants"):
            continue
        out.append((str(label), _shown(key, before.get(key)), _shown(key, after.get(key))))
        if key == "participants" and row.action != "create":
            added = sorted(set(after[key]) - set(before.get(key) or []))
            removed = sorted(set(before.get(key) or []) - set(after[key]))
            out[-1] = (str(label), _shown(key, before.get(key)),
                       " ".join([_shown(key, after[key])] + [f"+{r}" for r in added[:10]]
                                + [f"−{r}" for r in removed[:10]]))
    return out


def _shown(key: str, value) -> str:
    if value is None:
        return ""
    if key in ("start_at", "end_at"):
        return datetime.fromisoformat(value).astimezone(LOCAL).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, list):
        return _("%(num)d units", num=len(value))
    labels = {"category": CATEGORY_LABELS, "mode": MODE_LABELS, "outcome_mode": MODE_LABELS,
              "status": STATUS_LABELS}.get(key, {})
    text = str(labels.get(value, value))
    return text if len(text) <= 120 else text[:119] + "…"


def calendar_grid(unit: Unit, view: str, day: date) -> dict:
    """A unit's meetings as a week (Monday to Sunday, by hour) or a month of weeks."""
    if view == "week":
        first = day - timedelta(days=day.weekday())
        last, prev, following = first + timedelta(days=6), day - timedelta(7), day + timedelta(7)
    else:
        month = day.replace(day=1)
        month_last = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        first = month - timedelta(days=month.weekday())
        last = month_last + timedelta(days=6 - month_last.weekday())
        prev, following = (month - timedelta(days=1)).replace(day=1), month_last + timedelta(1)
    lo, hi = local_instant(first, time.min), local_instant(last + timedelta(days=1), time.min)
    window = (Meeting.start_at < hi, Meeting.end_at > lo)
    ids = select(Meeting.id).where(Meeting.organizer_id == unit.id, *window).union(
        select(Invitation.meeting_id).join(Meeting, Meeting.id == Invitation.meeting_id)
        .where(Invitation.unit_id == unit.id, *window))
    rows = db.session.execute(select(
        Meeting.id, Meeting.title, Meeting.start_at, Meeting.end_at, Meeting.status, Meeting.mode)
        .where(Meeting.id.in_(ids)).order_by(Meeting.start_at, Meeting.id)).all()
    by_day: dict[date, list] = defaultdict(list)
    by_hour: dict[tuple[date, int], list] = defaultdict(list)
    for r in rows:
        local_start = max(r.start_at, lo).astimezone(LOCAL)
        by_day[local_start.date()].append(r)
        by_hour[(local_start.date(), local_start.hour)].append(r)
    hours = [h for _, h in by_hour]
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return {"days": days, "weeks": [days[i:i + 7] for i in range(0, len(days), 7)],
            "hours": range(min([7, *hours]), max([17, *hours]) + 1), "by_day": by_day,
            "by_hour": by_hour, "prev": prev, "next": following, "first": first, "last": last,
            "count": len(rows), "per_day": MONTH_CELL}
