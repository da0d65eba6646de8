"""Calendar feeds: /feeds/<token>.ics (a unit's or a user's) and /meetings/<id>.ics."""
from __future__ import annotations

from flask import Blueprint, abort

from models.feeds import find_feed

bp = Blueprint("calendars", __name__)


@bp.get("/feeds/<token>.ics")
def feed(token: str):
    """A feed by its secret token; any unknown or revoked token is the same plain 404."""
    if find_feed(token) is None:
        abort(404)
    abort(404)  # the feed's content arrives with the calendars feature (F4)
