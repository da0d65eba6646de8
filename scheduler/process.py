"""The scheduler process (`flask scheduler run`): one leader runs the jobs, others stand by.

Leadership: on PostgreSQL a session advisory lock held on a dedicated connection for the
life of the process (the server frees it when the process dies); on SQLite a SchedulerLock
row refreshed by a heartbeat and taken over once the heartbeat is older than the timeout.
Even with two leaders at once a reminder goes out once: its claim is a row lock.
Settings (config.py, from the environment): SCHEDULER_TICK_SECONDS (reminder and notice
delivery interval, 20 s), SCHEDULER_LOCK_TIMEOUT (SQLite takeover, 60 s), SCHEDULER_STANDBY_POLL
(how often a standby tries the lock).
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import create_engine, delete, insert, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from models import SchedulerLock, db
from models.base import LOCAL, utcnow

from . import jobs
from .signals import connect_receivers

log = logging.getLogger("giaoban.scheduler")
TIMEZONE = LOCAL
LOCK_NAME = "scheduler"
ADVISORY_KEY = 0x4742_5343_4844  # "GBSCHD": one key for every Giao Ban scheduler
JOB_TABLE = "apscheduler_jobs"


@dataclass(frozen=True)
class Settings:
    tick_seconds: float = 20
    lock_timeout: float = 60
    standby_poll: float = 5

    @property
    def heartbeat(self) -> float:
        return max(0.2, self.lock_timeout / 4)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """The process's settings from the app's config (config.py reads the environment)."""
        return cls(config["SCHEDULER_TICK_SECONDS"], config["SCHEDULER_LOCK_TIMEOUT"],
                   config["SCHEDULER_STANDBY_POLL"])


class AdvisoryLock:
    """PostgreSQL: pg_try_advisory_lock on a connection of its own, kept open."""

    def __init__(self, url: str):
        self.engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        self.conn = None

    def try_acquire(self) -> bool:
        if self.conn is None:
            self.conn = self.engine.connect()
        return bool(self.conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                      {"k": ADVISORY_KEY}).scalar())

    def keepalive(self) -> bool:
        try:
            self.conn.execute(text("SELECT 1"))
            return True
        except Exception:  # the connection is gone, and the lock with it
            log.exception("lost the advisory lock's connection")
            return False

    def release(self) -> None:
        if self.conn is not None:
            self.conn.close()  # ends the session, which frees the lock
            self.conn = None
        self.engine.dispose()


class RowLock:
    """SQLite: a SchedulerLock row with a heartbeat; a stale heartbeat may be taken over."""

    def __init__(self, engine: Engine, holder: str, timeout: float):
        self.engine, self.holder, self.timeout = engine, holder, timedelta(seconds=timeout)
        self.table = SchedulerLock.__table__

    def _write(self, fn):
        with self.engine.connect() as conn:
            conn.execution_options(immediate=True)
            with conn.begin():
                return fn(conn)

    def try_acquire(self) -> bool:
        def attempt(conn) -> bool:
            now = utcnow()
            row = conn.execute(select(self.table).where(self.table.c.name == LOCK_NAME)).first()
            if row is None:
                conn.execute(insert(self.table).values(name=LOCK_NAME, holder=self.holder,
                                                       heartbeat_at=now))
                return True
            if row.holder != self.holder and row.heartbeat_at > now - self.timeout:
                return False
            if row.holder != self.holder:
                log.warning("taking over from %s (last heartbeat %s)", row.holder, row.heartbeat_at)
            conn.execute(update(self.table).where(self.table.c.name == LOCK_NAME)
                         .values(holder=self.holder, heartbeat_at=now))
            return True
        return self._write(attempt)

    def keepalive(self) -> bool:
        try:
            return self._write(lambda conn: conn.execute(
                update(self.table).where(self.table.c.name == LOCK_NAME,
                                         self.table.c.holder == self.holder)
                .values(heartbeat_at=utcnow())).rowcount == 1)
        except Exception:
            log.exception("heartbeat failed")
            return False

    def release(self) -> None:
        self._write(lambda conn: conn.execute(delete(self.table).where(
            self.table.c.name == LOCK_NAME, self.table.c.holder == self.holder)))


def leader_lock(app, holder: str, settings: Settings):
    """The lock that fits the application database."""
    if db.engine.dialect.name == "postgresql":
        return AdvisoryLock(app.config["SQLALCHEMY_DATABASE_URI"])
    return RowLock(db.engine, holder, settings.lock_timeout)


def build_scheduler(engine: Engine, settings: Settings) -> BlockingScheduler:
    """A BlockingScheduler in Asia/Ho_Chi_Minh with its jobs stored in the application database."""
    scheduler = BlockingScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE)},
        executors={"default": ThreadPoolExecutor(4)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone=TIMEZONE)
    common = {"replace_existing": True, "coalesce": True, "max_instances": 1}
    scheduler.add_job("scheduler.jobs:send_reminders", IntervalTrigger(seconds=settings.tick_seconds),
                      id="send_reminders", name="Send due reminders and notices",
                      next_run_time=datetime.now(TIMEZONE),
                      misfire_grace_time=max(30, int(settings.tick_seconds)), **common)
    scheduler.add_job("scheduler.jobs:top_up_reminders", CronTrigger(minute=15),
                      id="top_up_reminders", name="Plan reminders of meetings come inside the horizon",
                      next_run_time=datetime.now(TIMEZONE), misfire_grace_time=1800, **common)
    scheduler.add_job("scheduler.jobs:stale_endpoints", CronTrigger(hour=7, minute=30),
                      id="stale_endpoints", name="Stale endpoint notices", misfire_grace_time=6 * 3600,
                      **common)
    scheduler.add_job("scheduler.jobs:awaiting_outcome", CronTrigger(minute=5),
                      id="awaiting_outcome", name="Meetings awaiting an outcome",
                      misfire_grace_time=1800, **common)
    scheduler.add_job("scheduler.jobs:task_reminders", CronTrigger(minute=10),
                      id="task_reminders", name="Follow-up tasks due soon or overdue",
                      misfire_grace_time=1800, **common)
    scheduler.add_job("scheduler.jobs:freeze_report", CronTrigger(day=1, hour=7, minute=0),
                      id="freeze_report", name="Freeze last month's report",
                      misfire_grace_time=12 * 3600, **common)
    return scheduler


def _watch(lock, scheduler: BlockingScheduler, settings: Settings, stop: threading.Event) -> None:
    """Refresh the lock; on losing it, stop the scheduler so this process leads no more."""
    while not stop.wait(settings.heartbeat):
        if not lock.keepalive():
            log.error("lost leadership; stopping")
            scheduler.shutdown(wait=False)
            return


def run(app, settings: Settings | None = None) -> None:
    """Wait for leadership, then run the jobs until stopped."""
    if app.testing:
        raise RuntimeError("the scheduler never runs inside a test app or a web worker")
    settings = settings or Settings.from_config(app.config)
    connect_receivers(app.config)
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(SystemExit(0)))
    with app.app_context():
        lock = leader_lock(app, holder, settings)
        engine = db.engine
    log.info("scheduler %s standing by for the lock", holder)
    try:
        while not lock.try_acquire():
            time.sleep(settings.standby_poll)
        log.info("scheduler %s leads; reminders every %ss", holder, settings.tick_seconds)
        jobs.bind(app)
        scheduler = build_scheduler(engine, settings)
        stop = threading.Event()
        threading.Thread(target=_watch, args=(lock, scheduler, settings, stop), daemon=True,
                         name="scheduler-heartbeat").start()
        try:
            scheduler.start()
        finally:
            stop.set()
            if scheduler.running:
                scheduler.shutdown(wait=True)  # let a batch in flight finish its transaction
    except (KeyboardInterrupt, SystemExit):
        log.info("scheduler %s stopping", holder)
    finally:
        lock.release()
