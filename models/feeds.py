"""Secret calendar feed tokens: at least 128 random bits, revocable and renewable."""
from __future__ import annotations

import re
import secrets

from sqlalchemy import select

from . import audit
from .base import db, utcnow
from .database import write_transaction
from .notifications import FeedToken
from .units import Unit
from .users import User

_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_-]+")


def _new_token() -> str:
    return secrets.token_urlsafe(24)  # 192 bits


def _live(**owner) -> FeedToken | None:
    stmt = select(FeedToken).where(FeedToken.revoked_at.is_(None))
    for key, value in owner.items():
        stmt = stmt.where(getattr(FeedToken, key) == value)
    return db.session.scalar(stmt.order_by(FeedToken.id.desc()))


def feed_token_for_unit(unit: Unit, actor: User | None = None) -> FeedToken:
    """The unit's live feed token, made on first use."""
    return _live(unit_id=unit.id) or _first_token(unit_id=unit.id)


def feed_token_for_user(user: User) -> FeedToken:
    """The user's live feed token, made on first use."""
    return _live(user_id=user.id) or _first_token(user_id=user.id)


def _first_token(**owner) -> FeedToken:
    """Make an owner's first token under the writer's lock (a racing first use may have won)."""
    with write_transaction():
        token = _live(**owner)
        if token is None:
            token = FeedToken(token=_new_token(), **owner)
            db.session.add(token)
    return token


def _renew(**owner) -> FeedToken:
    """Revoke an owner's live tokens at once and issue a new one (no commit)."""
    now = utcnow()
    stmt = select(FeedToken).where(FeedToken.revoked_at.is_(None))
    for key, value in owner.items():
        stmt = stmt.where(getattr(FeedToken, key) == value)
    for old in db.session.scalars(stmt):
        old.revoked_at = now
    token = FeedToken(token=_new_token(), **owner)
    db.session.add(token)
    db.session.flush()
    return token


def renew_unit_feed(unit: Unit, actor: User) -> FeedToken:
    """Revoke the unit's feed token at once and issue a new one."""
    with write_transaction():  # SQLite: the lock before reading the live tokens
        token = _renew(unit_id=unit.id)
        audit.record(actor, "renew_feed", "unit", unit.id)
    return token


def renew_user_feed(user: User) -> FeedToken:
    """Revoke the user's feed token at once and issue a new one."""
    with write_transaction():
        token = _renew(user_id=user.id)
        audit.record(user, "renew_feed", "user", user.id)
    return token


def find_feed(token: str) -> FeedToken | None:
    """The live feed a URL token names, or None (revoked, renewed or made up)."""
    found = find_feed_and_unit(token)
    return None if found is None else found[0]


def find_feed_and_unit(token: str) -> tuple[FeedToken, Unit | None] | None:
    """As `find_feed`, with the token's unit read in the same statement (a conditional GET of a
    unit's feed is then two round trips, as /healthz is)."""
    if not token or len(token) > 64 or not _TOKEN_CHARS.fullmatch(token):
        return None
    row = db.session.execute(select(FeedToken, Unit).outerjoin(Unit, Unit.id == FeedToken.unit_id)
                             .where(FeedToken.token == token, FeedToken.revoked_at.is_(None))).first()
    return None if row is None else (row[0], row[1])
