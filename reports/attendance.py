"""Attendance at held online meetings: invited units that connected, and that confirmed beforehand."""
from __future__ import annotations

from sqlalchemy import case, func, select

from models import Invitation, Meeting, db
from models.meetings import ONLINE_MODES

from .online_ratio import percent
from .periods import Period


def attendance(period: Period, scope: set[int] | None = None) -> dict:
    """One aggregate over the invitations of the period's held online meetings."""
    stmt = (select(func.count(func.distinct(Meeting.id)), func.count(Invitation.id),
                   func.sum(case((Invitation.connected.is_(True), 1), else_=0)),
                   func.sum(case((Invitation.confirmed_before_start.is_(True), 1), else_=0)))
            .select_from(Invitation).join(Meeting, Meeting.id == Invitation.meeting_id)
            .where(Meeting.start_at >= period.start, Meeting.start_at < period.end,
                   Meeting.status == "held", Meeting.outcome_mode.in_(ONLINE_MODES)))
    if scope is not None:
        stmt = stmt.where(Meeting.organizer_id.in_(sorted(scope)))
    meetings, invited, connected, confirmed = db.session.execute(stmt).one()
    invited, connected, confirmed = int(invited or 0), int(connected or 0), int(confirmed or 0)
    return {"meetings": int(meetings or 0), "invited": invited, "connected": connected,
            "confirmed_before": confirmed, "connected_share": percent(connected, invited),
            "confirmed_share": percent(confirmed, invited)}
