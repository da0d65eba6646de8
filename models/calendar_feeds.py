"""Which meetings a calendar feed holds, and its validators (ETag, Last-Modified) in one query."""
from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import CompoundSelect, Select, bindparam, case, func, or_, select, true, union
from sqlalchemy.orm import selectinload

from .base import UTCDateTime, db
from .endpoints import READY_STATUSES, Endpoint
from .meetings import LONGEST_SESSION, ONLINE_MODES, Invitation, Meeting, Series
from .notifications import FeedToken
from .permissions import visible_unit_ids
from .units import Unit
from .users import User

CANCELLED_KEPT = timedelta(days=30)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
# Bump when the serialiser's output changes, so validators of old bytes stop matching.
FORMAT_VERSION = "2"


@dataclass(frozen=True)
class FeedScope:
    """What a feed is about: its display name, a stable calendar UID and its units (None: all);
    `own_unit` for a unit's feed (it carries that unit's ATTENDEE only)."""

    name: str
    uid: str
    unit_ids: frozenset[int] | None
    own_unit: int | None = None


@dataclass(frozen=True)
class FeedQuery:
    """The feed's meetings as statements built once per shape (`ids` selects only their ids),
    and this request's parameters."""

    stmt: Select
    params: dict
    ids: Select | CompoundSelect


def scope_of_feed(token: FeedToken) -> FeedScope | None:
    """The scope a live feed token serves, or None when its owner can no longer have one."""
    if token.unit_id is not None:
        unit = db.session.get(Unit, token.unit_id)
        return FeedScope(unit.name, f"giaoban-unit-{unit.ref}", frozenset({unit.id}), unit.id)
    user = db.session.get(User, token.user_id) if token.user_id is not None else None
    if user is None or not user.is_enabled:
        return None
    ids = visible_unit_ids(user)
    return FeedScope(user.name or user.email, f"giaoban-user-{user.id}",
                     None if ids is None else frozenset(ids))


def feed_window(now: datetime, past_days: int, future_days: int) -> tuple[datetime, datetime]:
    """The instants a feed covers: `past_days` back to `future_days` ahead of `now`."""
    return now - timedelta(days=past_days), now + timedelta(days=future_days)


@lru_cache(maxsize=2)
def _feed_ids(every_unit: bool) -> CompoundSelect:
    """Meetings in the window (cancelled singles for 30 days after their end), plus every row of
    a series with a row in the window (its EXDATEs and overrides); bound at execution.

    The two halves are a UNION of ids, each able to use an index: the window by `start_at`
    (bounded below too: no meeting lasts longer than LONGEST_SESSION, so one that ends in the
    window starts at most that long before it), the series by `series_id`. An `OR` of the two
    made PostgreSQL scan the whole table on every 304."""
    if every_unit:
        concern = true()
    else:
        units = bindparam("unit_ids", expanding=True)
        invited = select(Invitation.meeting_id).where(Invitation.unit_id.in_(units))
        concern = or_(Meeting.organizer_id.in_(units), Meeting.id.in_(invited))
    in_window = ((Meeting.start_at < bindparam("window_end", type_=UTCDateTime))
                 & (Meeting.start_at >= bindparam("earliest_start", type_=UTCDateTime))
                 & (Meeting.end_at >= bindparam("window_start", type_=UTCDateTime)) & concern)
    shown = in_window & or_(Meeting.series_id.is_not(None), Meeting.status != "cancelled",
                            Meeting.end_at >= bindparam("kept_since", type_=UTCDateTime))
    series_ids = select(Meeting.series_id).where(in_window, Meeting.series_id.is_not(None))
    return union(select(Meeting.id).where(shown),
                 select(Meeting.id).where(Meeting.series_id.in_(series_ids)))


@lru_cache(maxsize=2)
def _meetings_stmt(every_unit: bool) -> Select:
    return select(Meeting).where(Meeting.id.in_(_feed_ids(every_unit).scalar_subquery()))


def feed_meetings_query(unit_ids, now: datetime, past_days: int, future_days: int) -> FeedQuery:
    """The meetings of a feed about these units (None: every unit) in the window around `now`."""
    start, end = feed_window(now, past_days, future_days)
    params = {"window_start": start, "window_end": end, "kept_since": now - CANCELLED_KEPT,
              "earliest_start": start - LONGEST_SESSION}
    if unit_ids is not None:
        params["unit_ids"] = sorted(unit_ids)
    return FeedQuery(_meetings_stmt(unit_ids is None), params, _feed_ids(unit_ids is None))


def load_feed_meetings(query: FeedQuery | list[int]) -> list[Meeting]:
    """The feed's meetings (or these ids) with what the serialiser reads, in a few queries."""
    if isinstance(query, FeedQuery):
        stmt, params = query.stmt, query.params
    else:
        stmt, params = select(Meeting).where(Meeting.id.in_(query)), {}
    stmt = stmt.options(selectinload(Meeting.invitations).selectinload(Invitation.unit),
                        selectinload(Meeting.organizer), selectinload(Meeting.bridge),
                        selectinload(Meeting.series))
    return list(db.session.scalars(stmt.order_by(Meeting.start_at, Meeting.id), params))


class FeedVersion(NamedTuple):
    """What a meeting's VEVENT depends on, read without loading the meeting."""

    id: int
    series_id: int | None
    revision: int
    updated_at: datetime
    status: str
    start_at: datetime
    end_at: datetime
    recurrence_id: datetime | None
    series_revision: int | None
    responded_at: datetime | None
    invited: int
    confirmed: int
    declined: int
    endpoints_changed: datetime | None


def feed_versions(query: FeedQuery) -> list[FeedVersion]:
    """One grouped query: each feed row's id, revision, times and answers; nothing rendered."""
    return [FeedVersion(*row) for row in db.session.execute(_versions_stmt(query.ids),
                                                            query.params)]


@lru_cache(maxsize=4)
def _versions_stmt(feed_ids: Select | CompoundSelect) -> Select:
    ids = feed_ids.scalar_subquery()
    endpoints_changed = (select(func.max(Endpoint.updated_at))
                         .where(Endpoint.unit_id.in_(select(Meeting.organizer_id)
                                                     .where(Meeting.id.in_(ids))))
                         .scalar_subquery())
    columns = (Meeting.id, Meeting.series_id, Meeting.revision, Meeting.updated_at, Meeting.status,
               Meeting.start_at, Meeting.end_at, Meeting.recurrence_id, Series.revision)
    return (
        select(*columns, func.max(Invitation.responded_at), func.count(Invitation.id),
               *(func.coalesce(func.sum(case((Invitation.response == answer, 1), else_=0)), 0)
                 for answer in ("confirmed", "declined")),
               endpoints_changed)
        .outerjoin(Series, Series.id == Meeting.series_id)
        .outerjoin(Invitation, Invitation.meeting_id == Meeting.id)
        .where(Meeting.id.in_(ids))
        .group_by(*columns)
        .order_by(Meeting.id))


def feed_validators(query: FeedQuery, salt: str) -> tuple[str, datetime]:
    """A strong ETag and Last-Modified from the feed rows' ids, revisions, times and answers.

    One statement returning one row of aggregates; nothing is loaded or rendered, and the clock
    plays no part. `salt` names what else the bytes depend on (scope, base URL, locale).
    """
    row = db.session.execute(_validators_stmt(query.ids), query.params).one()
    digest = hashlib.sha256(f"{FORMAT_VERSION}|{salt}|{tuple(row)!r}".encode())
    moments = [m for m in (row.updated, row.responded, row.endpoints) if m is not None]
    last = max(moments, default=EPOCH)
    return f'"{digest.hexdigest()[:40]}"', last.replace(microsecond=0)


@lru_cache(maxsize=4)
def _validators_stmt(feed_ids: Select | CompoundSelect) -> Select:
    ids = feed_ids.cte("feed_ids").prefix_with("MATERIALIZED")
    in_feed = Meeting.id.in_(select(ids.c.id))
    meetings = select(
        func.count(Meeting.id).label("n"), func.sum(Meeting.id).label("ids"),
        func.sum(Meeting.revision).label("revisions"),
        func.sum(Meeting.id * (Meeting.revision + 1)).label("weighted"),
        func.sum(case((Meeting.status == "cancelled", Meeting.id), else_=0)).label("cancelled"),
        func.sum(case((Meeting.status == "held", Meeting.id), else_=0)).label("held"),
        func.max(Meeting.updated_at).label("updated")).where(in_feed).subquery()
    answers = select(
        func.count(Invitation.id).label("invited"), func.sum(Invitation.unit_id).label("units"),
        func.max(Invitation.responded_at).label("responded"),
        *(func.sum(case((Invitation.response == answer, Invitation.id), else_=0)).label(answer)
          for answer in ("confirmed", "declined"))
    ).where(Invitation.meeting_id.in_(select(ids.c.id))).subquery()
    series = select(func.sum(Series.id * (Series.revision + 1)).label("series")).where(
        Series.id.in_(select(Meeting.series_id).where(in_feed))).subquery()
    endpoints = select(func.max(Endpoint.updated_at).label("endpoints")).where(
        Endpoint.unit_id.in_(select(Meeting.organizer_id).where(in_feed))).subquery()
    one_row_each = meetings.join(answers, true()).join(series, true()).join(endpoints, true())
    return select(meetings, answers, series, endpoints).select_from(one_row_each)


@dataclass(frozen=True)
class Joining:
    """How an invitee joins a meeting: the bridge, its dial-in prefix, the host's dial-in addresses."""

    bridge: str | None = None
    prefix: str | None = None
    addresses: tuple[str, ...] = ()


def joining(meeting: Meeting, dial: Mapping[int, Sequence[str]]) -> Joining:
    """The one rule for what the e-mails, the calendars and the dial-in notice show: the bridge
    (name and prefix) when there is one, the organiser's dial-in addresses when it is online.

    `dial`: the organisers' addresses (`dial_addresses`)."""
    bridge = meeting.bridge
    addresses = tuple(dial.get(meeting.organizer_id, ())) if meeting.mode in ONLINE_MODES else ()
    return Joining(bridge.name if bridge is not None else None,
                   bridge.dial_prefix if bridge is not None else None, addresses)


def dial_addresses(unit_ids: set[int]) -> dict[int, list[str]]:
    """Dial addresses of the installed or ready endpoints of these units."""
    found: dict[int, list[str]] = {uid: [] for uid in unit_ids}
    if not unit_ids:
        return found
    for unit_id, address in db.session.execute(
            select(Endpoint.unit_id, Endpoint.address)
            .where(Endpoint.unit_id.in_(unit_ids), Endpoint.status.in_(READY_STATUSES),
                   Endpoint.address.is_not(None))
            .order_by(Endpoint.unit_id, Endpoint.id)):
        if address.strip():
            found[unit_id].append(address.strip())
    return found
