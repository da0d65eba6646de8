"""Invitees are told when how to join changes without the meeting being edited.

A meeting's joining details (`models.calendar_feeds.joining`: its bridge's name and dial-in
prefix, the organiser's dial-in addresses) live on the bridge and on the organiser's endpoints.
When the office renames a bridge or changes its prefix (`scheduler.bridges.change_bridge`), or
an endpoint change alters a unit's dial-in addresses (`models.registry.dial_in_changed`), or a
reorganisation hands a dissolved unit's endpoints and meetings to its successor
(`organisers_moved`), every
upcoming meeting that shows them gets a new revision (its calendars and iTIP SEQUENCE move on)
and each invited unit a "changed" notice saying what changed, in the same transaction.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Bridge, Meeting, Notice, db
from models.base import utcnow
from models.calendar_feeds import dial_addresses
from models.meetings import ONLINE_MODES

from .notices import record_changed


def _upcoming(*where, now: datetime) -> list[Meeting]:
    stmt = (select(Meeting).where(Meeting.status == "scheduled", Meeting.start_at > now, *where)
            .options(selectinload(Meeting.invitations), selectinload(Meeting.series))
            .order_by(Meeting.start_at, Meeting.id))
    return list(db.session.scalars(stmt))


def _tell(meetings: list[Meeting], changes: list[dict], now: datetime) -> list[Notice]:
    if not meetings or not changes:
        return []
    series = set()
    for m in meetings:
        m.revision += 1
        m.updated_at = now
        if m.series is not None and m.series_id not in series:
            series.add(m.series_id)
            m.series.revision += 1
    return record_changed(meetings, changes, now)


def bridge_changed(bridge: Bridge, before: dict, now: datetime | None = None) -> list[Notice]:
    """After a bridge's name or dial-in prefix changed (`before`: its audit snapshot): tell the
    units invited to the upcoming meetings on it."""
    now = now or utcnow()
    changes = [{"field": field, "before": before.get(key), "after": getattr(bridge, key)}
               for field, key in (("bridge", "name"), ("dial_prefix", "dial_prefix"))
               if before.get(key) != getattr(bridge, key)]
    if not changes:
        return []
    return _tell(_upcoming(Meeting.bridge_id == bridge.id, now=now), changes, now)


def dial_in_changed(sender, unit_id: int, before: list[str], after: list[str],
                    now: datetime | None = None, **_ignored) -> list[Notice]:
    """Receiver of `models.registry.dial_in_changed`: a unit's dial-in addresses changed, so its
    upcoming online and hybrid meetings tell their invitees the new ones."""
    if list(before) == list(after):
        return []
    now = now or utcnow()
    meetings = _upcoming(Meeting.organizer_id == unit_id, Meeting.mode.in_(ONLINE_MODES), now=now)
    return _tell(meetings, [{"field": "dial_in", "before": list(before), "after": list(after)}], now)


def online_organisers(unit_ids: set[int], now: datetime) -> dict[int, int]:
    """Upcoming online and hybrid meetings organised by these units: meeting id -> organiser id
    (read before a reorganisation, for `organisers_moved`)."""
    if not unit_ids:
        return {}
    return dict(db.session.execute(select(Meeting.id, Meeting.organizer_id).where(
        Meeting.organizer_id.in_(unit_ids), Meeting.status == "scheduled", Meeting.start_at > now,
        Meeting.mode.in_(ONLINE_MODES))).all())


def organisers_moved(previous: dict[int, int], before: dict[int, list[str]], now: datetime) -> list[Notice]:
    """After a reorganisation moved endpoints and organised meetings onto successors: every
    upcoming online meeting of `previous` (meeting id -> its organiser before) whose dial-in
    addresses now differ from its organiser's `before` tells its invitees, one notice each."""
    if not previous:
        return []
    meetings = _upcoming(Meeting.id.in_(list(previous)), now=now)
    after = dial_addresses({m.organizer_id for m in meetings})
    groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[Meeting]] = defaultdict(list)
    for m in meetings:
        old, new = tuple(before.get(previous[m.id], [])), tuple(after[m.organizer_id])
        if old != new:
            groups[(old, new)].append(m)
    notices: list[Notice] = []
    for (old, new), group in groups.items():
        notices += _tell(group, [{"field": "dial_in", "before": list(old), "after": list(new)}], now)
    return notices
