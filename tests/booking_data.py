"""Helpers for booking tests: local times and a meeting request with sensible defaults."""
from datetime import datetime

from models.base import LOCAL


def local(*args) -> datetime:
    """A local wall-clock time in Asia/Ho_Chi_Minh as an aware datetime."""
    return datetime(*args, tzinfo=LOCAL)


def meeting_data(**overrides) -> dict:
    data = {"title": "Giao ban trực tuyến", "category": "giao_ban", "organizer": "legacy:01",
            "mode": "online", "start": local(2019, 3, 4, 8, 0), "end": local(2019, 3, 4, 10, 0),
            "participants": ["legacy:00001"], "bridge": None}
    data.update(overrides)
    return data
