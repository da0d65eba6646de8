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
from .briefing import AgendaItem
from .data_version import data_version
from .endpoints import READY_STATUSES, Endpoint
from .lru import LRU
from .meetings import LONGEST_SESSION, ONLINE_MODES, Invitation, Meeting, Series
from .notifications import FeedToken
from .permissions import visible_unit_ids
from .units import Unit
from .users import User

CANCELLED_KEPT = timedelta(days=30)
#: the feeds' clock moves in whole steps: the window's edges (and the 30 days a cancelled meeting
#: is kept) fall on the hour, so which rows a feed holds is a function of the data and the hour,
#: and its validators can be kept until either moves (a meeting enters or leaves up to an hour late)
FEED_CLOCK_STEP = timedelta(hours=1)
VALIDATORS_SIZE = 4096
_validators: LRU[tuple[str, datetime]] = LRU(VALIDATORS_SIZE)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
# Bump when the serialiser's output changes, so validators of old bytes stop matching.
FORMAT_VERSION = "3"  # 3: a user feed lists its scope's own ATTENDEEs of meetings organised elsewhere


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


def scope_of_feed(token: FeedToken, unit: Unit | None = None) -> FeedScope | None:
    """The scope a live feed token serves, or None when its owner can no longer have one
    (`unit`: the token's unit, when already read)."""
    if token.unit_id is not None:
        unit = unit if unit is not None else db.session.get(Unit, token.unit_id)
        return FeedScope(unit.name, f"giaoban-unit-{unit.ref}", frozenset({unit.id}), unit.id)
    user = db.session.get(User, token.user_id) if token.user_id is not None else None
    if user is None or not user.is_enabled:
        return None
    ids = visible_unit_ids(user)
    return FeedScope(user.name or user.email, f"giaoban-user-{user.id}",
                     None if ids is None else frozenset(ids))


def feed_clock(now: datetime) -> datetime:
    """`now` as the feeds read it: the start of its FEED_CLOCK_STEP (UTC)."""
    step = int(FEED_CLOCK_STEP.total_seconds())
    return datetime.fromtimestamp(int(now.timestamp()) // step * step, UTC)


def feed_window(now: datetime, past_days: int, future_days: int) -> tuple[datetime, datetime]:
    """The instants a feed covers: `past_days` back to `future_days` ahead of `now` (on the
    feeds' clock)."""
    now = feed_clock(now)
    return now - timedelta(days=past_days), now + timedelta(days=future_days)


@lru_cache(maxsize=2)
def _feed_ids(every_unit: bool) -> CompoundSelect:
    """Meetings in the window (cancelled singles for 30 days after their end), plus every row of
    a series with a row in the window (its EXDATEs and overrides); bound at execution.

    A UNION of ids whose every part can use an index: for a unit's feed, the meetings it
    organises (`ix_meetings_organizer_start`) and those it is invited to (`ix_invitations_unit`,
    then by id), so a feed costs its own rows, not the window's rows of the whole city; the
    city-wide feed by `start_at`; the series' rows by `series_id`. The window is bounded below
    too: no meeting lasts longer than LONGEST_SESSION, so one that ends in the window starts at
    most that long before it. An `OR` of the parts made PostgreSQL scan the whole table."""
    in_window = ((Meeting.start_at < bindparam("window_end", type_=UTCDateTime))
                 & (Meeting.start_at >= bindparam("earliest_start", type_=UTCDateTime))
                 & (Meeting.end_at >= bindparam("window_start", type_=UTCDateTime)))
    shown = or_(Meeting.series_id.is_not(None), Meeting.status != "cancelled",
                Meeting.end_at >= bindparam("kept_since", type_=UTCDateTime))
    in_series = Meeting.series_id.is_not(None)
    if every_unit:
        return union(select(Meeting.id).where(in_window, shown),
                     select(Meeting.id).where(Meeting.series_id.in_(
                         select(Meeting.series_id).where(in_window, in_series))))
    units = bindparam("unit_ids", expanding=True)

    def concerning(column, condition):
        organised = select(column).where(Meeting.organizer_id.in_(units), in_window, condition)
        invited = (select(column).join(Invitation, Invitation.meeting_id == Meeting.id)
                   .where(Invitation.unit_id.in_(units), in_window, condition))
        return organised, invited

    series_ids = union(*concerning(Meeting.series_id, in_series))
    return union(*concerning(Meeting.id, shown),
                 select(Meeting.id).where(Meeting.series_id.in_(series_ids.scalar_subquery())))


@lru_cache(maxsize=2)
def _meetings_stmt(every_unit: bool) -> Select:
    return select(Meeting).where(Meeting.id.in_(_feed_ids(every_unit).scalar_subquery()))


def feed_meetings_query(unit_ids, now: datetime, past_days: int, future_days: int) -> FeedQuery:
    """The meetings of a feed about these units (None: every unit) in the window around `now`
    (on the feeds' clock, `feed_clock`)."""
    start, end = feed_window(now, past_days, future_days)
    params = {"window_start": start, "window_end": end, "kept_since": feed_clock(now) - CANCELLED_KEPT,
              "earliest_start": start - LONGEST_SESSION}
    if unit_ids is not None:
        params["unit_ids"] = sorted(unit_ids)
    return FeedQuery(_meetings_stmt(unit_ids is None), params, _feed_ids(unit_ids is None))


def load_feed_meetings(query: FeedQuery | list[int], scope: FeedScope | None = None) -> list[Meeting]:
    """The feed's meetings (or these ids) with what the serialiser reads, in a few queries.

    With a `scope` that has units, only the invitations its lines can need are loaded: those
    of its units, and (a user's feed) every one of a meeting one of its units organises; the
    serialiser (`scheduler.ical.carries_every_line`) decides which it shows and takes the
    number invited from the feed's versions. A ward's feed of a year of city-wide briefings
    then loads a year of its own invitations, not 578 per briefing (#17: worker memory).
    The collections are partial: `forget_invitations` them once the bytes are built."""
    if isinstance(query, FeedQuery):
        stmt, params = query.stmt, query.params
    else:
        stmt, params = select(Meeting).where(Meeting.id.in_(query)), {}
    invitations = Meeting.invitations
    if scope is not None and scope.unit_ids is not None:
        units = sorted(scope.unit_ids)
        wanted = Invitation.unit_id.in_(units)
        if scope.own_unit is None:
            organised = list(db.session.scalars(
                select(Meeting.id).where(Meeting.id.in_(stmt.with_only_columns(Meeting.id)
                                                        .scalar_subquery()),
                                         Meeting.organizer_id.in_(units)), params))
            if organised:
                wanted = or_(wanted, Invitation.meeting_id.in_(organised))
        invitations = Meeting.invitations.and_(wanted)
    stmt = stmt.options(selectinload(invitations).selectinload(Invitation.unit),
                        selectinload(Meeting.organizer), selectinload(Meeting.bridge),
                        selectinload(Meeting.series),
                        selectinload(Meeting.agenda_items).selectinload(AgendaItem.presenter))
    return list(db.session.scalars(stmt.order_by(Meeting.start_at, Meeting.id), params))


def forget_invitations(meetings: Sequence[Meeting]) -> None:
    """Expire what `load_feed_meetings` loaded of the meetings' invitations (a scope's part),
    so nothing later in the session reads a partial collection as the whole."""
    for meeting in meetings:
        db.session.expire(meeting, ["invitations"])


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

    One statement returning one row of aggregates; nothing is loaded or rendered. `salt` names
    what else the bytes depend on (scope, base URL, locale). The answer is kept in process per
    (database, data version, query parameters, salt): every table it reads is in the data
    version's WATCHED, and the parameters fix the window (`feed_clock`), so while neither moves
    a conditional GET reads one row of `data_version` and no meeting. The data version is read
    first, so what is kept under it is at least as new as it.
    """
    version = data_version()
    if version is None:
        return _validators_now(query, salt)
    key = (str(db.engine.url), version.number, _params_key(query.params), salt)
    return _validators.get_or_build(key, lambda: _validators_now(query, salt))


def _params_key(params: dict) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))


def _validators_now(query: FeedQuery, salt: str) -> tuple[str, datetime]:
    row = db.session.execute(_validators_stmt(query.ids), query.params).one()
    digest = hashlib.sha256(f"{FORMAT_VERSION}|{salt}|{tuple(row)!r}".encode())
    moments = [m for m in (row.updated, row.responded, row.endpoints) if m is not None]
    last = max(moments, default=EPOCH)
    return f'"{digest.hexdigest()[:40]}"', last.replace(microsecond=0)


def validators_clear() -> None:
    """Forget the kept validators (tests and benchmarks; `scheduler.ical.cache_clear`)."""
    _validators.clear()


def validators_stats() -> dict:
    return {"hits": _validators.hits, "misses": _validators.misses, "size": len(_validators)}


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
