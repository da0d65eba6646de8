"""Reminders planned for meetings, notifications shown in the app, the scheduler's lock."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ColumnElement, ForeignKey, Index, String, Text, UniqueConstraint, func, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import UTCDateTime, db, utcnow
from .database import write_transaction
from .notices import DeliveryState, Notice
from .users import User


class Reminder(DeliveryState, db.Model):
    """One reminder of one kind to one unit for one meeting; sent at most once."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("meeting_id", "unit_id", "kind"),
                      Index("ix_reminders_due", "sent_at", "due_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    meeting = relationship("Meeting")
    unit = relationship("Unit")


class Notification(db.Model):
    """A message shown on a unit's or a user's notifications page.

    `dedupe_key` makes a job that runs twice write the same notice only once. `subject` and
    `body` hold the message in the default language (Vietnamese); `params` (when set) lets each
    reader see it in their own (`scheduler.notices.notification_text`).
    """

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_unit", "unit_id", "created_at"),
                      Index("ix_notifications_user", "user_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    params: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SchedulerLock(db.Model):
    """On SQLite, the row a scheduler process holds so that a second one stands by."""

    __tablename__ = "scheduler_lock"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FeedToken(db.Model):
    """The secret in a calendar feed's URL, for a unit or a user; revoked, never reused."""

    __tablename__ = "feed_tokens"
    __table_args__ = (Index("ix_feed_tokens_unit", "unit_id"), Index("ix_feed_tokens_user", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)


def addressed_to(user: User) -> ColumnElement[bool]:
    """SQL: the notification is for the user, or for the user's unit."""
    mine = [Notification.user_id == user.id]
    if user.unit_id is not None:
        mine.append(Notification.unit_id == user.unit_id)
    return or_(*mine)


def unread_total() -> ColumnElement[int]:
    """SQL: how many notifications and notices addressed to the `users` row of the enclosing
    statement (to that user, or to the user's unit) are unread. Correlated, so the signed-in
    user, the menu's count and the data version come back in one statement (#17)."""
    notifications = (select(func.count(Notification.id))
                     .where(or_(Notification.user_id == User.id, Notification.unit_id == User.unit_id),
                            Notification.read_at.is_(None)).scalar_subquery())
    notices = (select(func.count(Notice.id))
               .where(Notice.unit_id == User.unit_id, Notice.read_at.is_(None)).scalar_subquery())
    return notifications + notices


def mark_all_read(user: User, now: datetime) -> None:
    """Mark every unread notification and notice addressed to the user (or the user's unit) read."""
    with write_transaction():
        db.session.execute(update(Notification).where(addressed_to(user), Notification.read_at.is_(None))
                           .values(read_at=now))
        if user.unit_id is not None:
            db.session.execute(update(Notice).where(Notice.unit_id == user.unit_id, Notice.read_at.is_(None))
                               .values(read_at=now))


def mark_notice_read(notice_id: int, user: User, now: datetime) -> bool:
    """Mark one notice of the user's unit read; False when there is no such notice for them."""
    with write_transaction():
        notice = db.session.get(Notice, notice_id)
        if notice is None or user.unit_id is None or notice.unit_id != user.unit_id:
            return False
        notice.read_at = notice.read_at or now
    return True
