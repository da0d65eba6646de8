"""After the meeting: its minutes (with revisions), the conclusions notice and its follow-up tasks.

A task is due at the end of its due day in Asia/Ho_Chi_Minh: `deadline_at` (00:00 local on the
next day, stored in UTC) is written with the due date, so the report compares instants in SQL
on both engines. Done before the deadline is on time; not done at or after it is overdue.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import LOCAL, UTCDateTime, db, utcnow

DOCUMENT_STATES = ("draft", "published")
TASK_STATES = ("assigned", "received", "in_progress", "done")
#: the states a task's lead unit reports (assigned is where every task starts)
UPDATE_STATES = ("received", "in_progress", "done")
REMINDER_KINDS = ("task_due_soon", "task_overdue")
#: how a task stands at an instant: what the follow-up report counts
STANDINGS = ("done_on_time", "done_late", "overdue", "open")
BODY_MAX = 100_000
EVIDENCE_MAX = 5  # files with one status report


def deadline_of(due_on: date) -> datetime:
    """The instant a task due on `due_on` becomes overdue: 00:00 local on the next day, in UTC."""
    return datetime.combine(due_on + timedelta(days=1), time(0), tzinfo=LOCAL).astimezone(UTC)


def local_today(now: datetime) -> date:
    return now.astimezone(LOCAL).date()


class Minutes(db.Model):
    """A meeting's minutes: revisions kept in order; the published one is what participants read."""

    __tablename__ = "minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    published_number: Mapped[int | None] = mapped_column(Integer)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting = relationship("Meeting")
    revisions: Mapped[list[MinutesRevision]] = relationship(back_populates="minutes",
                                                           order_by="MinutesRevision.number")

    @property
    def latest(self) -> MinutesRevision | None:
        return self.revisions[-1] if self.revisions else None

    @property
    def published(self) -> MinutesRevision | None:
        return next((r for r in self.revisions if r.number == self.published_number), None)


class MinutesRevision(db.Model):
    __tablename__ = "minutes_revisions"
    __table_args__ = (UniqueConstraint("minutes_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"))
    number: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    minutes: Mapped[Minutes] = relationship(back_populates="revisions")
    author = relationship("User")


class Conclusions(db.Model):
    """The conclusions notice (thông báo kết luận) of a meeting; its tasks follow it."""

    __tablename__ = "conclusion_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), unique=True)
    number: Mapped[str | None] = mapped_column(String(50))  # e.g. "12/TB-UBND"
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    meeting = relationship("Meeting")
    tasks: Mapped[list[Task]] = relationship(back_populates="conclusions", order_by="Task.id")


class Task(db.Model):
    """One task of a conclusions notice, led by one unit, maybe supported by others."""

    __tablename__ = "followup_tasks"
    __table_args__ = (Index("ix_followup_tasks_lead_due", "lead_unit_id", "due_on"),
                      Index("ix_followup_tasks_conclusions", "conclusions_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    conclusions_id: Mapped[int] = mapped_column(ForeignKey("conclusion_notices.id"))
    title: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str | None] = mapped_column(Text)
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    due_on: Mapped[date] = mapped_column(Date)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="assigned")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    conclusions: Mapped[Conclusions] = relationship(back_populates="tasks")
    lead_unit = relationship("Unit")
    supporters: Mapped[list[TaskSupporter]] = relationship(cascade="all, delete-orphan",
                                                           order_by="TaskSupporter.unit_id")
    updates: Mapped[list[TaskUpdate]] = relationship(order_by="TaskUpdate.id", cascade="all, delete-orphan")
    evidence: Mapped[list[TaskEvidence]] = relationship(order_by="TaskEvidence.id")

    def standing(self, now: datetime) -> str:
        """done_on_time, done_late, overdue or open at `now` (the report's one rule, in Python)."""
        if self.done_at is not None:
            return "done_on_time" if self.done_at < self.deadline_at else "done_late"
        return "overdue" if now >= self.deadline_at else "open"


class TaskSupporter(db.Model):
    __tablename__ = "task_supporters"

    task_id: Mapped[int] = mapped_column(ForeignKey("followup_tasks.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)

    unit = relationship("Unit")


class TaskUpdate(db.Model):
    """A status the lead unit reported, with its note: the task's history."""

    __tablename__ = "task_updates"
    __table_args__ = (Index("ix_task_updates_task", "task_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("followup_tasks.id"))
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor = relationship("User")


class TaskEvidence(db.Model):
    """A file sent with a status report; the bytes live in `models.storage` under `storage_key`."""

    __tablename__ = "task_evidence"
    __table_args__ = (Index("ix_task_evidence_task", "task_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("followup_tasks.id"))
    update_id: Mapped[int | None] = mapped_column(ForeignKey("task_updates.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TaskReminder(db.Model):
    """One reminder per task and kind, pointing at the notice that carries it."""

    __tablename__ = "task_reminders"
    __table_args__ = (UniqueConstraint("task_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("followup_tasks.id"))
    kind: Mapped[str] = mapped_column(String(32))
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    task = relationship("Task")
