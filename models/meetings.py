"""Meetings, their series, bridges, invitations and endpoint bookings."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnElement,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from .base import UTCDateTime, db, utcnow
from .endpoints import Endpoint
from .text import search_key
from .units import Unit

#: no session lasts longer: the overlap queries and the feeds' window rely on it
LONGEST_SESSION = timedelta(hours=24)
AT_MOST_24_HOURS = "end_at - start_at <= interval '24 hours'"

CATEGORIES = ("trien_khai", "so_ket", "tong_ket", "tap_huan", "giai_quyet_cong_viec",
              "giao_ban", "khac")
MODES = ("in_person", "online", "hybrid")
ONLINE_MODES = ("online", "hybrid")
STATUSES = ("scheduled", "held", "cancelled")
ANSWERS = ("confirmed", "declined")  # what a unit may answer
OUTCOMES = ("held", "cancelled")  # what an organiser may record
#: field limits: the columns, the verbs' checks, the forms and the API schemas read these
TITLE_MAX = 300
LOCATION_MAX = 300
RRULE_MAX = 300
DESCRIPTION_MAX = 5000
PARTICIPANTS_MAX = 5000  # entries in one participant list
SELECTOR_MAX = 80  # one participant entry: a unit reference or a group selector (`communes:legacy:001`)
REASON_MAX = 2000  # a cancellation's or a decline's reason
NOTE_MAX = 2000  # an answer's note
ATTENDEE_MAX = 200  # an attendee's name or title
BRIDGE_NAME_MAX = 200
DIAL_PREFIX_MAX = 100
BRIDGE_NOTES_MAX = 2000
CAPACITY_MAX = 100_000  # ports of one bridge


T = TypeVar("T")


class Bridge(db.Model):
    """An MCU or conference server with a fixed number of ports."""

    __tablename__ = "bridges"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(BRIDGE_NAME_MAX), unique=True)
    capacity: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dial_prefix: Mapped[str | None] = mapped_column(String(DIAL_PREFIX_MAX))
    notes: Mapped[str | None] = mapped_column(Text)
    #: a retired bridge keeps its meetings but takes no new bookings
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Series(db.Model):
    """A recurring meeting: the RRULE and the local wall-clock start it expands from."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(100), unique=True)
    rrule: Mapped[str] = mapped_column(String(500))
    dtstart_local: Mapped[datetime] = mapped_column(DateTime)  # naive, in `timezone`
    duration_minutes: Mapped[int] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Ho_Chi_Minh")
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Local dates (YYYY-MM-DD, comma-separated) the rule makes but the series skips (EXDATE).
    exdates: Mapped[str | None] = mapped_column(Text)

    meetings: Mapped[list[Meeting]] = relationship(back_populates="series",
                                                   order_by="Meeting.recurrence_id")


def _search_title(context) -> str | None:
    """The title's search key for rows inserted without the ORM (bulk and INSERT ... SELECT)."""
    title = context.get_current_parameters().get("title")
    return search_key(title) if title is not None else None


class Meeting(db.Model):
    """One meeting (or one occurrence of a series)."""

    __tablename__ = "meetings"
    __table_args__ = (
        # SQLite: the same rule as triggers (migration 0002_hardening)
        CheckConstraint(AT_MOST_24_HOURS, name="at_most_24_hours").ddl_if(dialect="postgresql"),
        Index("ix_meetings_start", "start_at"),
        Index("ix_meetings_organizer_start", "organizer_id", "start_at"),
        Index("ix_meetings_bridge_start", "bridge_id", "start_at"),
        Index("ix_meetings_series", "series_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    #: `models.text.search_key(title)`: the title without case or marks, for the list's search
    search_title: Mapped[str | None] = mapped_column(String(TITLE_MAX), default=_search_title)
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(32))
    organizer_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    mode: Mapped[str] = mapped_column(String(16))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    location: Mapped[str | None] = mapped_column(String(LOCATION_MAX))
    bridge_id: Mapped[int | None] = mapped_column(ForeignKey("bridges.id"))
    ports: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    revision: Mapped[int] = mapped_column(Integer, default=0)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"))
    recurrence_id: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome_mode: Mapped[str | None] = mapped_column(String(16))
    cancel_reason: Mapped[str | None] = mapped_column(Text)  # while cancelled: why (told in feeds)
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_after: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organizer: Mapped[Unit] = relationship(foreign_keys=[organizer_id])
    bridge: Mapped[Bridge | None] = relationship()
    series: Mapped[Series | None] = relationship(back_populates="meetings")
    invitations: Mapped[list[Invitation]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="Invitation.id")
    bookings: Mapped[list[EndpointBooking]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan")
    #: the programme (models.briefing), in order
    agenda_items = relationship("AgendaItem", order_by="(AgendaItem.position, AgendaItem.id)",
                                cascade="all, delete-orphan")

    @validates("title")
    def _keep_search_title(self, _key, value):
        self.search_title = search_key(value) if value is not None else None
        return value

    @hybrid_method
    def awaiting_outcome(self, now: datetime) -> bool:
        """Ended with no outcome recorded: still scheduled and its end has passed."""
        return self.status == "scheduled" and self.end_at <= now

    @awaiting_outcome.inplace.expression
    @classmethod
    def _awaiting_outcome_sql(cls, now: datetime) -> ColumnElement[bool]:
        """The same rule as SQL, for `select(Meeting).where(Meeting.awaiting_outcome(now))`."""
        return and_(cls.status == "scheduled", cls.end_at <= now)


class Invitation(db.Model):
    """A unit invited to a meeting, its answer, and whether it connected."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("meeting_id", "unit_id"),
                      Index("ix_invitations_unit", "unit_id", "meeting_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    response: Mapped[str] = mapped_column(String(16), default="pending")
    attendee_name: Mapped[str | None] = mapped_column(String(ATTENDEE_MAX))
    attendee_title: Mapped[str | None] = mapped_column(String(ATTENDEE_MAX))
    reason: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_before_start: Mapped[bool] = mapped_column(Boolean, default=False)
    connected: Mapped[bool | None] = mapped_column(Boolean)

    meeting: Mapped[Meeting] = relationship(back_populates="invitations")
    unit: Mapped[Unit] = relationship()


class EndpointBooking(db.Model):
    """An endpoint held by a meeting over the meeting's time range.

    On PostgreSQL the database forbids two active bookings of one endpoint whose [start, end)
    ranges overlap: statement triggers keep `endpoint_holds` (one multirange per series or
    single meeting, and endpoint) under an exclusion constraint (migration 0010_series).
    """

    __tablename__ = "endpoint_bookings"
    __table_args__ = (CheckConstraint(AT_MOST_24_HOURS, name="at_most_24_hours").ddl_if(dialect="postgresql"),
                      Index("ix_endpoint_bookings_endpoint_start", "endpoint_id", "start_at"),
                      Index("ix_endpoint_bookings_meeting", "meeting_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("endpoints.id"))
    # the endpoint's unit at booking time; PostgreSQL keeps no foreign key on it (0010_series)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    meeting: Mapped[Meeting] = relationship(back_populates="bookings")
    endpoint: Mapped[Endpoint] = relationship()


def group_by_series(items: Iterable[T]) -> list[list[T]]:
    """Rows (meetings, or anything with a `series_id`) grouped for one VEVENT or one notice each:
    a single meeting alone, the rows of one series together, in order of first appearance."""
    groups: list[list[T]] = []
    by_series: dict[int, list[T]] = {}
    for item in items:
        if item.series_id is None:
            groups.append([item])
        elif item.series_id in by_series:
            by_series[item.series_id].append(item)
        else:
            by_series[item.series_id] = [item]
            groups.append(by_series[item.series_id])
    return groups
