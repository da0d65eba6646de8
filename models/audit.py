"""The audit log: who changed what, when, with the values before and after."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import UTCDateTime, db, utcnow
from .users import User


class AuditLog(db.Model):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)

    actor = relationship("User")


def record(actor: User | None, action: str, entity_type: str, entity_id: int,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> AuditLog:
    """Add an audit row to the session (the caller commits it with the change)."""
    row = AuditLog(actor_id=getattr(actor, "id", None), action=action, entity_type=entity_type,
                   entity_id=entity_id, before=before, after=after)
    db.session.add(row)
    return row


def snapshot(obj, fields: tuple[str, ...]) -> dict[str, Any]:
    """The named fields of a model as JSON-ready values, for before/after."""
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, datetime):
            value = value.isoformat()
        out[name] = value
    return out


# --- reading the trail --------------------------------------------------------------------

PER_PAGE = 50


def trail_query(actor_units: set[int] | None = None, actor: str | None = None, unit_ids: set[int] | None = None,
                action: str | None = None, entity_type: str | None = None,
                since: datetime | None = None, before: datetime | None = None):
    """The audit rows matching the filters, newest first (a SELECT to page or export).

    actor_units: the reader's scope, the units whose users' actions they may read (None: all,
    for admins); actor: a piece of the actor's e-mail or name (diacritic-insensitive is not
    needed: e-mails are ASCII; names are matched as typed, NFC); unit_ids: actions of the users
    of these units; since/before: an instant range [since, before).
    """
    from sqlalchemy import or_, select

    stmt = select(AuditLog).outerjoin(User, User.id == AuditLog.actor_id)
    if actor_units is not None:
        stmt = stmt.where(User.unit_id.in_(actor_units or {-1}))
    if unit_ids is not None:
        stmt = stmt.where(User.unit_id.in_(unit_ids or {-1}))
    if actor:
        needle = f"%{actor.lower()}%"
        stmt = stmt.where(or_(User.email.ilike(needle), User.name.ilike(f"%{actor}%")))
    if action:
        stmt = stmt.where(AuditLog.action == action)
    if entity_type:
        stmt = stmt.where(AuditLog.entity_type == entity_type)
    if since is not None:
        stmt = stmt.where(AuditLog.at >= since)
    if before is not None:
        stmt = stmt.where(AuditLog.at < before)
    return stmt.order_by(AuditLog.at.desc(), AuditLog.id.desc())


def changed_fields(row: AuditLog) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for every field the row's before and after differ on."""
    before, after = row.before or {}, row.after or {}
    keys = list(dict.fromkeys([*before, *after]))
    return [(k, before.get(k), after.get(k)) for k in keys
            if before.get(k) != after.get(k) and k not in ("cancelled_with",)]
