"""Notices' e-mails under faults, with real scheduler processes and a real SMTP server:
kill -9 in the middle of a batch, then two schedulers started at once."""
from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import Delivery, db
from models.base import utcnow
from models.database import begin_write
from scheduler.booking import book_meeting
from tests.fixtures.processes import WAIT, kill_mid_batch, wait_until

pytestmark = pytest.mark.slow
KEYS = ("phuc_xa", "truc_bach", "vinh_phuc", "phuc_tan", "dong_xuan", "hang_ma", "stttt", "snv")


@pytest.fixture
def booked_notices(hanoi, make_user, organizer):
    """Book `n` in-person meetings inviting 8 units that each have a clerk: 8n e-mails due."""
    for key in KEYS:
        make_user("clerk", hanoi[key], email=f"vanthu.{key}@hanoi.test")

    def book(n: int) -> set[str]:
        for i in range(n):
            start = (utcnow() + timedelta(days=2, hours=i)).replace(microsecond=0)
            book_meeting({"title": f"Giao ban số {i + 1}", "category": "giao_ban", "organizer": "legacy:01",
                          "mode": "in_person", "start": start, "end": start + timedelta(hours=1),
                          "participants": [hanoi[k].ref for k in KEYS], "location": "Hội trường"},
                         organizer, utcnow())
        begin_write()
        rows = db.session.scalars(select(Delivery).where(Delivery.channel == "email")).all()
        db.session.commit()
        return {f"<notice-{d.notice_id}-{d.id}@giaoban>" for d in rows}
    return book


def unsent() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count(Delivery.id)).where(Delivery.channel == "email",
                                                                   Delivery.sent_at.is_(None)))


def test_killed_mid_batch_then_two_schedulers_at_once_lose_nothing_and_send_nothing_twice(
        spawn, booked_notices, smtp_server):
    expected = booked_notices(4)  # 32 e-mails, one per unit and change
    assert len(expected) == 32
    kill_mid_batch(spawn, smtp_server, at=10)
    assert unsent() == 22
    procs = [spawn(), spawn()]  # both at once: one leads, the other stands by
    wait_until(lambda: unsent() == 0 and len(smtp_server.messages) >= 32, procs)
    time.sleep(1.5)  # a few more ticks: nothing may be sent again
    counts = Counter(smtp_server.message_ids())
    assert set(counts) == expected  # 0 lost
    assert set(counts.values()) == {1}  # 0 sent twice per unit, channel and change


def test_two_claimers_without_the_leader_lock_send_each_notice_once(spawn, booked_notices,
                                                                    smtp_server):
    expected = booked_notices(3)
    smtp_server.rcpt_hook = lambda accepted: time.sleep(0.05)
    ticks = [spawn("tick", "--job", "notices"), spawn("tick", "--job", "notices")]
    for proc in ticks:
        assert proc.wait(timeout=WAIT) == 0, Path(proc.log_path).read_text()
    assert unsent() == 0
    counts = Counter(smtp_server.message_ids())
    assert set(counts) == expected and set(counts.values()) == {1}
