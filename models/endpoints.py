"""Videoconference endpoints of a unit, their connectivity checks and readiness."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, and_, exists, func, not_, select
from sqlalchemy.orm import Mapped, aliased, joinedload, mapped_column, relationship

from .base import UTCDateTime, db, utcnow
from .units import Unit

KINDS = ("room_system", "software")
STATUSES = ("planned", "installed", "ready", "faulty", "retired")
READY_STATUSES = ("installed", "ready")
#: field limits: the columns, the verbs' checks, the forms and the API schemas (OpenAPI) read these
NAME_MAX = 200
ROOM_MAX = 200
ADDRESS_MAX = 255
CHECK_NOTE_MAX = 2000
BANDWIDTH_MAX_KBPS = 10_000_000


class Endpoint(db.Model):
    """A videoconference site of a unit.

    `last_check_at` and `last_check_passed` mirror the latest connectivity check so that
    readiness is one indexed condition, not a sub-query per endpoint.
    """

    __tablename__ = "endpoints"
    __table_args__ = (Index("ix_endpoints_unit_status", "unit_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    room: Mapped[str | None] = mapped_column(String(ROOM_MAX))
    kind: Mapped[str] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(ADDRESS_MAX))
    status: Mapped[str] = mapped_column(String(16), default="planned")
    last_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_check_passed: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship()
    checks: Mapped[list[ConnectivityCheck]] = relationship(
        back_populates="endpoint", order_by="ConnectivityCheck.checked_at.desc()"
    )

    def is_ready(self, now: datetime, max_age_days: int) -> bool:
        """Installed or ready, and the latest check passed no more than max_age_days ago."""
        return bool(
            self.status in READY_STATUSES
            and self.last_check_passed
            and self.last_check_at is not None
            and now - self.last_check_at <= timedelta(days=max_age_days)
        )


def ready_condition(now: datetime, max_age_days: int):
    """The SQL condition that says an endpoint is ready at `now`."""
    return and_(
        Endpoint.status.in_(READY_STATUSES),
        Endpoint.last_check_passed.is_(True),
        Endpoint.last_check_at >= now - timedelta(days=max_age_days),
    )


class ConnectivityCheck(db.Model):
    """One test of an endpoint's connection: who, when, and what worked."""

    __tablename__ = "connectivity_checks"
    __table_args__ = (Index("ix_checks_endpoint_at", "endpoint_id", "checked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("endpoints.id"))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    passed: Mapped[bool] = mapped_column(Boolean)
    audio_ok: Mapped[bool | None] = mapped_column(Boolean)
    video_ok: Mapped[bool | None] = mapped_column(Boolean)
    bandwidth_kbps: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)

    endpoint: Mapped[Endpoint] = relationship(back_populates="checks")
    checked_by = relationship("User")


def ready_condition_at(at: datetime, max_age_days: int):
    """The SQL condition that says an endpoint was ready at a past instant `at`, from the checks.

    The latest check at or before `at` passed and is at most max_age_days old then. The status
    has no history, so the endpoint's current status is read (a retired endpoint never counts).
    """
    passed, later = aliased(ConnectivityCheck), aliased(ConnectivityCheck)
    failed_after = exists().where(later.endpoint_id == passed.endpoint_id, later.checked_at > passed.checked_at,
                                  later.checked_at <= at, later.passed.is_(False))
    return and_(
        Endpoint.status.in_(READY_STATUSES),
        exists().where(passed.endpoint_id == Endpoint.id, passed.passed.is_(True),
                       passed.checked_at <= at, passed.checked_at >= at - timedelta(days=max_age_days),
                       not_(failed_after)),
    )


def latest_checks(endpoint_ids, per_endpoint: int = 10) -> dict[int, list[ConnectivityCheck]]:
    """The newest `per_endpoint` checks of each endpoint, newest first, with who made them: one
    query whatever the number of endpoints or of their checks (a unit's page lists them)."""
    ids = sorted(endpoint_ids)
    if not ids:
        return {}
    newest_first = (ConnectivityCheck.checked_at.desc(), ConnectivityCheck.id.desc())
    ranked = select(ConnectivityCheck.id, func.row_number().over(
        partition_by=ConnectivityCheck.endpoint_id, order_by=newest_first).label("n")).where(
        ConnectivityCheck.endpoint_id.in_(ids)).subquery()
    found: dict[int, list[ConnectivityCheck]] = {i: [] for i in ids}
    for check in db.session.scalars(
            select(ConnectivityCheck).options(joinedload(ConnectivityCheck.checked_by))
            .join(ranked, ranked.c.id == ConnectivityCheck.id).where(ranked.c.n <= per_endpoint)
            .order_by(ConnectivityCheck.endpoint_id, *newest_first)):
        found[check.endpoint_id].append(check)
    return found
