"""The registry tree answers conditional GETs (#17): a 304 while nothing it shows has changed;
a write to the registry, the minute (readiness follows the clock) or a new notice in the menu
give a 200 with another ETag. The report page follows its menu's unread count the same way."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import time_machine

from models import Notification, db
from models.registry import log_check

FIXED = datetime(2026, 3, 2, 3, 0, 30, tzinfo=UTC)


def _notify(user) -> None:
    db.session.add(Notification(dedupe_key=f"test:{uuid.uuid4()}", user_id=user.id,
                                kind="test", subject="Thông báo mới", body="", created_at=FIXED))
    db.session.commit()


def _again(client, url, first):
    return client.get(url, headers={"If-None-Match": first.headers["ETag"]})


def test_the_tree_is_conditional_on_the_registry_and_the_minute(client, auth, make_user, hanoi, equipped):
    admin = make_user("admin")
    with time_machine.travel(FIXED, tick=False):
        auth.login(admin)
        first = client.get("/units")
        assert first.status_code == 200 and first.headers["ETag"] and first.last_modified
        assert "private" in first.headers["Cache-Control"]
        unchanged = _again(client, "/units", first)
        assert unchanged.status_code == 304 and unchanged.get_data() == b""
        log_check(equipped["phuc_xa"], {"passed": False, "note": "Mất kết nối"}, admin, FIXED)
        moved = _again(client, "/units", first)
        assert moved.status_code == 200 and moved.headers["ETag"] != first.headers["ETag"]
    with time_machine.travel(FIXED + timedelta(minutes=1), tick=False):
        later = client.get("/units", headers={"If-None-Match": moved.headers["ETag"]})
        assert later.status_code == 200 and later.headers["ETag"] != moved.headers["ETag"]


def test_a_new_notice_in_the_menu_is_never_answered_304(client, auth, make_user, hanoi, equipped):
    admin = make_user("admin")
    log_check(equipped["phuc_xa"], {"passed": True}, admin, FIXED)  # a data version exists
    with time_machine.travel(FIXED, tick=False):
        auth.login(admin)
        for url in ("/units", "/reports/online-ratio?period=2019-03"):
            first = client.get(url)
            assert first.status_code == 200 and _again(client, url, first).status_code == 304, url
            _notify(admin)
            again = _again(client, url, first)
            assert again.status_code == 200, url
            assert 'data-testid="unread-count"' in again.get_data(as_text=True), url
