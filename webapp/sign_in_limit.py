"""The sign-in limit, shared by every web worker: per client address and per account.

Failed attempts are counted where all workers see them: in Redis when `REDIS_URL` is set
(`limits`' moving window, the engine Flask-Limiter runs on), else in the database
(`models.sign_in`: audit rows). Never in a worker's memory, so 4 gunicorn workers allow what
one does. `RATELIMIT_LOGIN` is per address, `RATELIMIT_LOGIN_ACCOUNT` per account (an e-mail
with no account counts the same, so a refusal tells nothing about who has an account).
"""
from __future__ import annotations

import math
from datetime import timedelta

from flask import current_app
from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from models.base import utcnow
from models.sign_in import account_key, failed_sign_ins, record_failed_sign_in
from models.users import User

_storages: dict[str, Storage] = {}


def _redis() -> MovingWindowRateLimiter | None:
    uri = current_app.config.get("REDIS_URL")
    if not uri:
        return None
    if uri not in _storages:
        _storages[uri] = storage_from_string(uri)
    return MovingWindowRateLimiter(_storages[uri])


def _limits(address: str, email: str) -> list[tuple[RateLimitItem, str, str]]:
    """(limit, what it counts, the key) for the address and for the account."""
    return [(parse(current_app.config["RATELIMIT_LOGIN"]), "address", address),
            (parse(current_app.config["RATELIMIT_LOGIN_ACCOUNT"]), "account", email)]


def _db_wait(item: RateLimitItem, kind: str, key: str) -> int:
    window = timedelta(seconds=item.get_expiry())
    now = utcnow()
    count, oldest = failed_sign_ins(now - window, **{"address" if kind == "address" else "email": key})
    if count < item.amount:
        return 0
    return max(1, math.ceil(((oldest or now) + window - now).total_seconds()))


def refused_for(address: str, email: str) -> int:
    """Seconds to wait before this address may try this account again (0: it may now)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return 0
    redis = _redis()
    wait = 0
    for item, kind, key in _limits(address, email):
        if redis is not None:
            ident = key if kind == "address" else account_key(key)
            if not redis.test(item, "sign-in", kind, ident):
                reset = redis.get_window_stats(item, "sign-in", kind, ident).reset_time
                wait = max(wait, max(1, math.ceil(reset - utcnow().timestamp())))
        else:
            wait = max(wait, _db_wait(item, kind, key))
    return wait


def count_failure(address: str, email: str, user: User | None) -> None:
    """Count one failed attempt against the address and the account."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    redis = _redis()
    if redis is None:
        record_failed_sign_in(email, address, user, utcnow())
        return
    for item, kind, key in _limits(address, email):
        redis.hit(item, "sign-in", kind, key if kind == "address" else account_key(key))
