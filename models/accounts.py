"""Accounts as the city office manages them: create, change, deactivate, reset, provision.

No password is ever chosen for someone else: a new account and a reset get a one-time link
(`password_link_token`), signed with the app's secret, expiring, and bound to the account's
current password hash, so it stops working once used (the hash changed) or once a newer
password was set. Every change is written to the audit log.
"""
from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from functools import cache

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update

from .audit import record, snapshot
from .base import db
from .database import write_transaction
from .errors import N_, DomainError, NotFound, ValidationFailed
from .text import nfc, search_key
from .units import Unit, find_unit
from .users import ROLES, User

FIELDS = ("email", "name", "role", "unit_id", "is_enabled")
MIN_LENGTH = 8
MIN_LENGTH_ADMIN = 12
MAX_LENGTH = 128
@cache
def _common() -> frozenset[str]:
    """The 30,000 most common passwords of the zxcvbn package (xato corpus), lower-cased; read
    when first needed (its word lists are ~12 MB a server worker would carry otherwise)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS
    return frozenset(FREQUENCY_LISTS["passwords"])
_SALT = "giaoban-password-link"


def password_problem(password: str, role: str, email: str = "") -> str | None:
    """NIST SP 800-63B: length, not composition; refuse common and context-derived passwords."""
    least = MIN_LENGTH_ADMIN if role == "admin" else MIN_LENGTH
    if len(password) < least:
        return N_("At least 12 characters.") if least == MIN_LENGTH_ADMIN else N_("At least 8 characters.")
    if len(password) > MAX_LENGTH:
        return N_("At most 128 characters.")
    lowered = password.lower()
    local = email.split("@")[0].lower()
    if lowered in _common() or (local and lowered in (local, email.lower())) or lowered.startswith("giaoban"):
        return N_("This password is too common or too easy to guess; choose another.")
    return None


def _email(value: str) -> str:
    email = (nfc(value) or "").lower()
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain and domain != "localhost" or len(email) > 254 or " " in email:
        raise ValidationFailed({"email": N_("Not an e-mail address.")})
    return email


def _scope(role: str, unit_ref: str | None) -> Unit | None:
    if role not in ROLES:
        raise ValidationFailed({"role": N_("Unknown role.")})
    if role == "admin":
        return None
    unit = find_unit(unit_ref) if unit_ref else None
    if unit is None:
        raise ValidationFailed({"unit": N_("This role needs a unit; no unit has that code.")})
    if unit.dissolved_on is not None:
        raise ValidationFailed({"unit": N_("This unit was dissolved.")})
    return unit


def create_account(email: str, name: str | None, role: str, unit_ref: str | None, actor) -> User:
    """A new account with no password: send it the set-password link.

    :raise ValidationFailed: a bad e-mail, role or unit, or an e-mail that has an account.
    """
    with write_transaction():
        email = _email(email)
        unit = _scope(role, unit_ref)
        if db.session.scalar(select(User.id).where(User.email == email)) is not None:
            raise ValidationFailed({"email": N_("This e-mail already has an account.")})
        user = User(email=email, name=" ".join((nfc(name) or "").split()) or None, role=role, unit=unit,
                    is_enabled=True, session_version=0)
        db.session.add(user)
        db.session.flush()
        record(actor, "create", "user", user.id, None, snapshot(user, FIELDS))
    return user


def change_account(user: User, role: str, unit_ref: str | None, actor, name: str | None = None) -> User:
    """Change the role and unit scope (and name); open sessions pick it up on their next request."""
    with write_transaction():
        before = snapshot(user, FIELDS)
        unit = _scope(role, unit_ref)
        user.role, user.unit = role, unit
        db.session.flush()
        if name is not None:
            user.name = " ".join((nfc(name) or "").split()) or None
        after = snapshot(user, FIELDS)
        if after != before:
            record(actor, "update", "user", user.id, before, after)
    return user


def set_enabled(user: User, enabled: bool, actor) -> User:
    """Deactivate (or reactivate) an account: its sessions and API tokens stop on the next request."""
    if actor is not None and getattr(actor, "id", None) == user.id and not enabled:
        raise DomainError(N_("You cannot deactivate your own account."))
    with write_transaction():
        before = snapshot(user, FIELDS)
        user.is_enabled = enabled
        if not enabled:
            db.session.execute(update(User).where(User.id == user.id)
                               .values(session_version=User.session_version + 1))
        after = snapshot(user, FIELDS)
        if after != before:
            record(actor, "reactivate" if enabled else "deactivate", "user", user.id, before, after)
    db.session.refresh(user)
    return user


def _bind(user: User) -> str:
    return hashlib.sha256((user.password_hash or "unset").encode()).hexdigest()[:16]


def password_link_token(secret: str, user: User) -> str:
    """A one-time token for the set-password page (checked with `account_for_password_token`)."""
    return URLSafeTimedSerializer(secret, salt=_SALT).dumps({"u": user.id, "h": _bind(user)})


def account_for_password_token(secret: str, token: str, max_age_seconds: int) -> User:
    """:raise NotFound: the link is forged, expired, already used, or the account is disabled."""
    try:
        data = URLSafeTimedSerializer(secret, salt=_SALT).loads(token, max_age=max_age_seconds)
    except SignatureExpired as exc:
        raise NotFound(N_("This link has expired; ask the city office for a new one.")) from exc
    except BadSignature as exc:
        raise NotFound(N_("This link is not valid.")) from exc
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) and isinstance(data.get("u"), int) else None
    if user is None or not user.is_enabled or data.get("h") != _bind(user):
        raise NotFound(N_("This link was already used or is no longer valid."))
    return user


def change_password(user: User, password: str, actor) -> None:
    """Set a password under the policy; every other session of the account ends.

    :raise ValidationFailed: the password breaks the policy.
    """
    problem = password_problem(password, user.role, user.email)
    if problem:
        raise ValidationFailed({"password": problem})
    with write_transaction():
        user.set_password(password)
        db.session.execute(update(User).where(User.id == user.id)
                           .values(session_version=User.session_version + 1))
        record(actor, "password", "user", user.id, None, None)
    db.session.refresh(user)


def search_accounts(q: str = "", role: str | None = None, unit: Unit | None = None) -> list[User]:
    """Accounts by name, e-mail or unit name, without regard to diacritics; filtered by role and unit.

    The filter by text runs in Python over the role/unit selection: the city has a few thousand
    accounts, and user names carry no search column.
    """
    stmt = select(User).order_by(User.email)
    if role in ROLES:
        stmt = stmt.where(User.role == role)
    if unit is not None:
        stmt = stmt.where(User.unit_id == unit.id)
    users = list(db.session.scalars(stmt))
    key = search_key(nfc(q) or "")
    if not key:
        return users
    return [u for u in users if key in search_key(" ".join(filter(None, (u.name, u.email, u.unit and u.unit.name,
                                                                         u.unit and u.unit.ref))))]


@dataclass
class RowResult:
    line: int
    email: str
    status: str  # created | updated | unchanged | refused
    reasons: list[str] = field(default_factory=list)
    user: User | None = None


def provision(text: str, actor) -> list[RowResult]:
    """Bulk accounts from CSV rows (email, name, unit code, role); a header row is optional.

    Each row is applied on its own, atomically: a bad row is refused with its reasons and the
    others go ahead. An existing e-mail is updated (name, role, unit), a new one created.
    """
    results: list[RowResult] = []
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    for line, row in enumerate(reader, start=1):
        cells = [(nfc(c) or "") for c in row]
        if not any(cells):
            continue
        if line == 1 and cells and cells[0].lower() in ("email", "e-mail", "thư điện tử"):
            continue
        if len(cells) < 4:
            results.append(RowResult(line, cells[0] if cells else "", "refused",
                                     [N_("A row needs four columns: e-mail, name, unit code, role.")]))
            continue
        email, name, unit_ref, role = cells[:4]
        role = role.lower()
        try:
            existing = db.session.scalar(select(User).where(User.email == _email(email)))
            if existing is None:
                user = create_account(email, name, role, unit_ref, actor)
                results.append(RowResult(line, user.email, "created", user=user))
            else:
                before = snapshot(existing, FIELDS)
                change_account(existing, role, unit_ref, actor, name=name)
                status = "unchanged" if snapshot(existing, FIELDS) == before else "updated"
                results.append(RowResult(line, existing.email, status, user=existing))
        except DomainError as exc:
            db.session.rollback()
            reasons = [m for ms in exc.details.values() for m in ms] or [exc.message]
            results.append(RowResult(line, email, "refused", reasons))
    return results


def communes_without_clerk() -> list[Unit]:
    """Every live commune with no enabled clerk account."""
    clerked = select(User.unit_id).where(User.role == "clerk", User.is_enabled.is_(True), User.unit_id.is_not(None))
    return list(db.session.scalars(select(Unit).where(Unit.level == "commune", Unit.dissolved_on.is_(None),
                                                      Unit.id.not_in(clerked)).order_by(Unit.code)))
