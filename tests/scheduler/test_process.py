"""The scheduler process under faults: SIGKILL mid-batch, two processes, a standby taking over.

Each test starts `flask scheduler run` (or `tick`) as real subprocesses on the test database
with a short tick, and a real SMTP server on loopback counts what arrives.
"""
from __future__ import annotations

import os
import re
import signal
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import Invitation, Meeting, Reminder, db
from models.base import utcnow
from models.database import begin_write
from tests.fixtures.processes import WAIT, kill_mid_batch, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def due_reminders(hanoi, make_user):
    """Plant `n_meetings` x 8 due, unsent reminders to units that each have a clerk."""
    units = [hanoi[k] for k in ("phuc_xa", "truc_bach", "vinh_phuc", "phuc_tan", "dong_xuan",
                                "hang_ma", "stttt", "snv")]
    for u in units:
        make_user("clerk", u, email=f"clerk.{u.code.lower()}@hanoi.test")

    def plant(n_meetings: int) -> list[int]:
        ids = []
        begin_write()  # the subprocesses write too: take SQLite's write lock first
        for i in range(n_meetings):
            start = utcnow() + timedelta(hours=3 + i)
            m = Meeting(uid=f"{uuid.uuid4()}@giaoban", title=f"Giao ban trực tuyến số {i + 1}",
                        category="giao_ban", organizer_id=hanoi["city"].id, mode="online",
                        start_at=start, end_at=start + timedelta(hours=2))
            m.invitations = [Invitation(unit_id=u.id) for u in units]
            db.session.add(m)
            db.session.flush()
            for u in units:
                r = Reminder(meeting_id=m.id, unit_id=u.id, kind="upcoming",
                             due_at=utcnow() - timedelta(minutes=1))
                db.session.add(r)
                db.session.flush()
                ids.append(r.id)
        db.session.commit()
        return ids
    return plant


def unsent() -> int:
    db.session.commit()  # end the snapshot so the subprocesses' commits are visible
    return db.session.scalar(select(func.count(Reminder.id)).where(Reminder.sent_at.is_(None)))


def reminder_ids(inbox) -> Counter:
    """How many e-mails arrived per reminder (the Message-ID names the reminder)."""
    return Counter(mid.split("-")[1] for mid in inbox.message_ids())


def test_killed_mid_batch_and_restarted_sends_each_reminder_once(spawn, due_reminders, smtp_server):
    ids = due_reminders(4)  # 32 reminders
    kill_mid_batch(spawn, smtp_server, at=10)
    assert unsent() == len(ids) - 10  # the eleventh was claimed, not committed: rolled back
    second = spawn()
    wait_until(lambda: unsent() == 0 and len(smtp_server.messages) >= len(ids), [second])
    time.sleep(1.5)  # a few more ticks: nothing may be sent again
    counts = reminder_ids(smtp_server)
    assert sorted(int(k) for k in counts) == sorted(ids)
    assert set(counts.values()) == {1}


def test_two_scheduler_processes_send_each_reminder_once_and_a_standby_takes_over(
        spawn, due_reminders, smtp_server):
    ids = due_reminders(3)
    procs = [spawn(), spawn()]
    wait_until(lambda: unsent() == 0 and len(smtp_server.messages) >= len(ids), procs)
    time.sleep(1.5)
    assert set(reminder_ids(smtp_server).values()) == {1} and len(smtp_server.messages) == len(ids)
    logs = [Path(p.log_path).read_text() for p in procs]
    leaders = [p for p, text in zip(procs, logs) if " leads;" in text]
    assert len(leaders) == 1, logs  # the other one stands by
    leader = leaders[0]
    standby = next(p for p in procs if p is not leader)
    os.kill(leader.pid, signal.SIGKILL)
    leader.wait(timeout=30)
    more = due_reminders(1)
    wait_until(lambda: unsent() == 0 and len(smtp_server.messages) >= len(ids) + len(more),
               [standby])
    time.sleep(1.0)
    counts = reminder_ids(smtp_server)
    assert sorted(int(k) for k in counts) == sorted(ids + more) and set(counts.values()) == {1}
    assert " leads;" in Path(standby.log_path).read_text()


def test_two_claimers_without_the_leader_lock_still_send_each_reminder_once(
        spawn, due_reminders, smtp_server):
    ids = due_reminders(4)
    smtp_server.rcpt_hook = lambda accepted: time.sleep(0.08)  # long batches, so the two overlap
    ticks = [spawn("tick"), spawn("tick")]  # `tick` takes no leader lock: only the claims guard
    for proc in ticks:
        assert proc.wait(timeout=WAIT) == 0, Path(proc.log_path).read_text()
    assert unsent() == 0
    outputs = [Path(p.log_path).read_text() for p in ticks]
    sent = [int(re.search(r"reminders: (\d+)", text).group(1)) for text in outputs]
    assert sum(sent) == len(ids), outputs
    counts = reminder_ids(smtp_server)
    assert sorted(int(k) for k in counts) == sorted(ids) and set(counts.values()) == {1}


def test_a_clean_stop_frees_the_lock_at_once(spawn, due_reminders, smtp_server):
    first = spawn()
    wait_until(lambda: " leads;" in Path(first.log_path).read_text(), [first])
    second = spawn()
    time.sleep(1.0)
    assert " leads;" not in Path(second.log_path).read_text()
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=30) == 0
    # well before the lock's 15 s timeout (tests/fixtures/processes.py): freed, not taken over
    wait_until(lambda: " leads;" in Path(second.log_path).read_text(), [second], timeout=12)
    ids = due_reminders(1)
    wait_until(lambda: unsent() == 0 and len(smtp_server.messages) >= len(ids), [second])


def test_the_scheduler_refuses_to_run_in_a_test_app(app):
    from scheduler.process import run

    with pytest.raises(RuntimeError):
        run(app)
