"""Accounts, their roles and scope, and API tokens."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, select, update
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.errors import N_, Msg

from .base import UTCDateTime, db, utcnow
from .database import write_transaction
from .errors import ValidationFailed
from .units import Unit, find_unit

ROLES = ("admin", "organizer", "clerk", "viewer")
_hasher = PasswordHasher()


class User(UserMixin, db.Model):
    """A person who signs in. Admins have no unit; every other role is scoped to one."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    email_notices: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    #: bumped on sign-out, password change and deactivation: every older session cookie dies
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login
        return bool(self.is_enabled)

    def get_id(self) -> str:  # Flask-Login: the session carries the version it was made under
        return f"{self.id}:{self.session_version or 0}"

    def set_password(self, password: str) -> None:
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        if not self.password_hash:
            return False
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


@lru_cache(maxsize=1)
def _no_account_hash() -> str:
    return _hasher.hash("no account has this password")


def password_matches(user: User | None, password: str) -> bool:
    """Whether `user` may sign in with `password`. An unknown, disabled or password-less account
    costs the same argon2 verification, so the time an answer takes says nothing about which
    e-mails have accounts (one unknown e-mail answered in 12 ms against 481 ms for a known one)."""
    if user is None or not user.is_active or not user.password_hash:
        try:
            _hasher.verify(_no_account_hash(), password)
        except (VerificationError, InvalidHashError):
            pass
        return False
    return user.check_password(password)


def end_sessions(user: User) -> None:
    """End every session cookie of `user` (sign-out, password change, deactivation): the
    user loader compares the version in the cookie with this one on each request."""
    from .database import write_transaction
    with write_transaction():
        db.session.execute(update(User).where(User.id == user.id)
                           .values(session_version=User.session_version + 1))
    db.session.refresh(user)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(db.Model):
    """A bearer token: stored as its SHA-256, shown once when made."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


def issue_api_token(user: User, name: str | None = None, actor=None) -> str:
    """Make a new token for `user` and return it; only its hash is kept.

    It is written in its own write transaction; with an `actor` the creation is audited.
    """
    from .audit import record
    from .database import write_transaction
    from .text import nfc
    token = "gb_" + secrets.token_urlsafe(32)
    row = ApiToken(user=user, token_hash=hash_token(token), name=" ".join((nfc(name) or "").split())[:100] or None)
    with write_transaction():
        db.session.add(row)
        db.session.flush()
        if actor is not None:
            record(actor, "create", "api_token", row.id, None, {"name": row.name, "user_id": user.id})
    return token


def revoke_api_token(row: ApiToken, actor) -> None:
    """Revoke a token: the next request that carries it is refused, on every worker."""
    from .audit import record
    from .database import write_transaction
    with write_transaction():
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            record(actor, "revoke", "api_token", row.id, {"name": row.name}, {"name": row.name, "revoked": True})


#: last_used_at is written at most this often per token, not on every request
LAST_USED_RESOLUTION = timedelta(minutes=10)


def user_for_token(token: str) -> User | None:
    """The enabled user a live token belongs to."""
    row = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or not row.user.is_active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        user_id = row.user_id
        # the writer's lock first (SQLite: a read transaction upgraded to a write can fail at once
        # under concurrent writers); a racing request may have stamped it meanwhile
        with write_transaction():
            db.session.execute(update(ApiToken).where(
                ApiToken.id == row.id,
                (ApiToken.last_used_at.is_(None)) | (ApiToken.last_used_at < now - LAST_USED_RESOLUTION))
                .values(last_used_at=now))
        return db.session.get(User, user_id)
    return row.user


def create_user(email: str, role: str, unit_ref: str | None, password: str | None = None,
                name: str | None = None) -> tuple[User, str]:
    """Create an account; returns it with its password (generated when not given).

    :raise ValidationFailed: an unknown role, a missing or unknown unit, a bad or taken e-mail.
    """
    if role not in ROLES:
        raise ValidationFailed({"role": Msg(N_("Must be one of: %(values)s."), values=", ".join(ROLES))})
    unit = None
    if role != "admin":
        if not unit_ref:
            raise ValidationFailed({"unit": N_("This role needs a unit.")})
        unit = find_unit(unit_ref)
        if unit is None:
            raise ValidationFailed({"unit": Msg(N_("No unit %(ref)s."), ref=repr(unit_ref))})
    email = email.strip().lower()
    if "@" not in email:
        raise ValidationFailed({"email": N_("Not an e-mail address.")})
    password = password or secrets.token_urlsafe(12)
    with write_transaction():  # SQLite: the lock before checking the address is free
        if db.session.scalar(select(User).where(User.email == email)):
            raise ValidationFailed({"email": Msg(N_("%(email)s already has an account."), email=email)})
        user = User(email=email, role=role, unit=unit, name=name)
        user.set_password(password)
        db.session.add(user)
    return user, password
