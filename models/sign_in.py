"""Failed sign-ins, kept in the audit log so every web worker counts the same attempts.

Each failure is one `audit_log` row (action `sign_in_failed`, the account's id or 0 for an
e-mail with no account, and in `after` the client's address and a digest of the e-mail typed),
written in its own write transaction. The sign-in limit counts these rows per address and per
account over a window; the audit trail shows them to the office.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import func, select

from . import audit
from .audit import AuditLog
from .base import db
from .database import write_transaction
from .users import User

ACTION = "sign_in_failed"


def account_key(email: str) -> str:
    """What identifies an account in the count: a digest of the normalised e-mail (an e-mail
    with no account is counted the same way, so the limit says nothing about who has one)."""
    return hashlib.sha256(email.strip().lower().encode("utf-8", "replace")).hexdigest()[:32]


def record_failed_sign_in(email: str, address: str, user: User | None, now: datetime) -> None:
    """One failed attempt, committed at once (whatever the request does next)."""
    with write_transaction():
        row = audit.record(None, ACTION, "user", user.id if user is not None else 0,
                           after={"address": address[:64], "account": account_key(email)})
        row.at = now


def failed_sign_ins(since: datetime, *, address: str | None = None,
                    email: str | None = None) -> tuple[int, datetime | None]:
    """How many failures since `since` from this address (or for this account), and the oldest."""
    where = [AuditLog.action == ACTION, AuditLog.at >= since]
    if address is not None:
        where.append(AuditLog.after["address"].as_string() == address[:64])
    if email is not None:
        where.append(AuditLog.after["account"].as_string() == account_key(email))
    count, oldest = db.session.execute(select(func.count(AuditLog.id), func.min(AuditLog.at)).where(*where)).one()
    return count, oldest
