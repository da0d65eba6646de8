"""A clerk's home: the unit's invitations in a window, paged, in one query per kind of row.

Upcoming: scheduled meetings starting within UPCOMING_WEEKS, unanswered first; past: meetings
of the last PAST_DAYS, newest first. Each list reads PAGE_SIZE + 1 rows (the extra one tells
whether there is a next page) with the meeting and its organiser joined in, so a ward invited
to a year of meetings costs the same as one invited to a week of them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, select
from sqlalchemy.orm import contains_eager, joinedload

from models import Endpoint, Invitation, Meeting, Unit, db

UPCOMING_WEEKS = 8
PAST_DAYS = 90
PAGE_SIZE = 20


@dataclass
class Page:
    rows: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def page_number(value: str | None) -> int:
    """?page-like argument: a positive integer, anything else is page 1."""
    if value and value.isascii() and value.isdigit() and len(value) < 7:
        return max(1, int(value))
    return 1


def _page(stmt, number: int, size: int) -> Page:
    rows = db.session.scalars(stmt.offset((number - 1) * size).limit(size + 1)).unique().all()
    return Page(list(rows[:size]), number, len(rows) > size)


def _invited(unit: Unit):
    return (select(Invitation).join(Invitation.meeting)
            .options(contains_eager(Invitation.meeting).joinedload(Meeting.organizer))
            .where(Invitation.unit_id == unit.id))


def upcoming_page(unit: Unit, now: datetime, number: int = 1, size: int = PAGE_SIZE,
                  weeks: int = UPCOMING_WEEKS) -> Page:
    stmt = _invited(unit).where(Meeting.status == "scheduled", Meeting.start_at > now,
                                Meeting.start_at < now + timedelta(weeks=weeks))
    return _page(stmt.order_by(case((Invitation.response == "pending", 0), else_=1),
                               Meeting.start_at, Meeting.id), number, size)


def today_invitations(rows: list[Invitation], now: datetime) -> list[Invitation]:
    """Of the invitations the home already read (its upcoming and past pages), the meetings of
    today (local day), not cancelled, whose check-in has opened (from 30 minutes before the
    start), in order of start: what a participant opens on a tablet (programme, documents,
    check-in). No query of its own: the home stays at one query per kind of row. A meeting
    that started today is at the top of the past page; one about to start is on the upcoming
    page unless more than a page of unanswered invitations comes before it."""
    from models.base import LOCAL
    from scheduler.roll_call import CHECK_IN_BEFORE

    today = now.astimezone(LOCAL).date()
    seen, out = set(), []
    for inv in sorted(rows, key=lambda i: (i.meeting.start_at, i.meeting_id)):
        m = inv.meeting
        if (m.id not in seen and m.status != "cancelled" and m.start_at.astimezone(LOCAL).date() == today
                and m.start_at <= now + CHECK_IN_BEFORE):
            seen.add(m.id)
            out.append(inv)
    return out


def past_page(unit: Unit, now: datetime, number: int = 1, size: int = PAGE_SIZE,
              days: int = PAST_DAYS) -> Page:
    stmt = _invited(unit).where(Meeting.start_at <= now, Meeting.start_at > now - timedelta(days=days))
    return _page(stmt.order_by(Meeting.start_at.desc(), Meeting.id.desc()), number, size)


def unit_endpoints(unit: Unit) -> list[Endpoint]:
    """The unit's endpoints that are not retired, with the mirrored latest check."""
    return list(db.session.scalars(select(Endpoint).where(Endpoint.unit_id == unit.id,
                                                          Endpoint.status != "retired")
                                   .options(joinedload(Endpoint.unit)).order_by(Endpoint.id)))
