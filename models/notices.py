"""Notices (an outbox of what invitees are told) and their per-channel deliveries.

A notice is written in the same transaction as the change it tells about: one per affected
unit and change (a change to a whole series is one notice). Each channel delivers it on its
own through a Delivery row: the in-app one is delivered at once, e-mail (and any gateway
channel) by the scheduler process. Reminders share the delivery state columns
(`DeliveryState`), so one claim-send-record machinery sends both.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import UTCDateTime, db, utcnow

NOTICE_KINDS = ("booked", "changed", "unit_added", "unit_removed", "cancelled", "restored", "outcome_request",
                "documents_published", "minutes_published", "tasks_assigned", "task_due_soon", "task_overdue")
CHANNELS = ("in_app", "email")  # a gateway channel (sms, zalo) adds its name and a Transport


class DeliveryState:
    """Columns of something sent by the scheduler: claimed, sent, retried, parked.

    sending_at/claimed_by: claimed by a sender (committed before the network conversation);
    a claim older than the lease is taken to be from a dead sender and may be claimed again
    (then sent with the same Message-ID). attempts/next_attempt_at: retries with backoff.
    failed_at/last_error: parked after the last try, shown to admins.
    """

    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sending_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Notice(db.Model):
    """One change told to one unit. `changes` lists {field, before, after} for the page."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_unit", "unit_id", "created_at"),
                      Index("ix_notices_meeting", "meeting_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"))  # set: the whole series
    kind: Mapped[str] = mapped_column(String(32))
    method: Mapped[str | None] = mapped_column(String(16))  # iTIP: REQUEST, CANCEL, or none
    changes: Mapped[list | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    meeting = relationship("Meeting")
    unit = relationship("Unit")
    series = relationship("Series")
    deliveries: Mapped[list[Delivery]] = relationship(back_populates="notice", order_by="Delivery.id")


class Delivery(DeliveryState, db.Model):
    """One notice on one channel to one recipient (an address, or the unit for in-app)."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("notice_id", "channel", "recipient"),
                      Index("ix_deliveries_due", "channel", "sent_at", "due_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"))
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str | None] = mapped_column(String(8))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    notice: Mapped[Notice] = relationship(back_populates="deliveries")
