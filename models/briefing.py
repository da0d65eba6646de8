"""The paperless briefing: a meeting's programme (agenda items), its documents and its roll call."""
from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import UTCDateTime, db, utcnow
from .units import Unit

AGENDA_TITLE_MAX = 300
AGENDA_MAX = 100  # items in one programme
FILENAME_MAX = 255
DOCUMENT_STATUSES = ("draft", "published")
#: a roll-call mark: connected online, present in person, absent (with a reason), not yet known
ROLL_CALL_STATES = ("connected", "in_person", "absent", "unknown")
ATTENDED_STATES = ("connected", "in_person")
REASON_MAX = 2000


class AgendaItem(db.Model):
    """One item of a meeting's programme, in `position` order; `at` is local wall-clock time."""

    __tablename__ = "agenda_items"
    __table_args__ = (Index("ix_agenda_items_meeting", "meeting_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(AGENDA_TITLE_MAX))
    presenter_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    at: Mapped[time | None] = mapped_column(Time)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    presenter: Mapped[Unit | None] = relationship()


class Document(db.Model):
    """A file attached to a meeting (or one of its agenda items); its bytes are in the storage
    (`models.storage`) under `storage_key`. Only published documents reach the invitees."""

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_meeting", "meeting_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"))
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(FILENAME_MAX))  # NFC, as the organiser named it
    content_type: Mapped[str] = mapped_column(String(100))      # detected from the content
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agenda_item: Mapped[AgendaItem | None] = relationship()


class RollCallMark(db.Model):
    """What the roll call saw of one invited unit: its state, who marked it and when."""

    __tablename__ = "roll_call_marks"
    __table_args__ = (UniqueConstraint("meeting_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_self: Mapped[bool] = mapped_column(default=False)  # the unit's own check-in

    unit: Mapped[Unit] = relationship()
    marked_by = relationship("User")
