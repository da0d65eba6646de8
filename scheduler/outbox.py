"""Sending what the outbox holds: claim in one short transaction, send outside it, record in another.

One machinery for reminders and notice deliveries (rows with `models.notices.DeliveryState`):

- claim: a short writer's transaction picks a few due rows (PostgreSQL: FOR UPDATE SKIP LOCKED;
  SQLite: BEGIN IMMEDIATE), builds their messages and marks them sending (sending_at,
  claimed_by), then commits. No database lock is held while the transport talks to the network.
- send: outside any transaction. A message the transport refuses (a 4xx/5xx for this message,
  a header that cannot be encoded) counts an attempt and is retried with exponential backoff,
  then parked (failed_at, last_error) for the admins; the rows behind it go on. A transport that
  is down as a whole (`TransportDown`: no connection, no STARTTLS) stops the batch and releases
  the claim without counting an attempt.
- record: a second short transaction marks the row sent.
- a claim older than DELIVERY_LEASE_SECONDS belongs to a sender that died between the claim and
  the record: the row is claimed again and sent with the same Message-ID (derived from the row),
  so a receiver can tell the copy from a new message.
"""
from __future__ import annotations

import logging
import os
import smtplib
import socket
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import or_, select, update

from models import db
from models.database import write_transaction

log = logging.getLogger("giaoban.outbox")
ERROR_MAX = 2000


class TransportDown(Exception):
    """The transport cannot send anything now; the message itself is not at fault."""


class Transport(Protocol):
    """What a channel's gateway implements (SMTP, a file, an SMS or Zalo gateway)."""

    def send(self, message: EmailMessage) -> None:
        """Deliver one message, or raise (TransportDown when nothing can go out now)."""

    def close(self) -> None:
        """Release connections at the end of a batch."""


class SmtpTransport:
    """One SMTP connection for a batch, opened on the first message."""

    def __init__(self, config, timeout: float = 30):
        self.config = config
        self.timeout = timeout
        self.smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        try:
            smtp = smtplib.SMTP(c["MAIL_SERVER"], c["MAIL_PORT"], timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportDown(f"cannot connect to {c['MAIL_SERVER']}:{c['MAIL_PORT']}: {exc}") from exc
        try:
            if c.get("MAIL_USE_TLS"):
                smtp.starttls()
            if c.get("MAIL_USERNAME"):
                smtp.login(c["MAIL_USERNAME"], c.get("MAIL_PASSWORD") or "")
        except (OSError, smtplib.SMTPException) as exc:
            smtp.close()
            raise TransportDown(f"SMTP session refused: {exc}") from exc
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self.smtp is None:
            self.smtp = self._connect()
        try:
            refused = self.smtp.send_message(message)
        except smtplib.SMTPServerDisconnected as exc:
            self.close()
            raise TransportDown(f"connection lost: {exc}") from exc
        except smtplib.SMTPRecipientsRefused:  # SMTPException is an OSError: test it first
            self._reset()
            raise
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 421:  # the server is closing the session
                self.close()
                raise TransportDown(f"server closing: {exc}") from exc
            self._reset()
            raise
        except smtplib.SMTPException:  # e.g. SMTPUTF8 needed and not offered: this message only
            self._reset()
            raise
        except OSError as exc:
            self.close()
            raise TransportDown(f"connection lost: {exc}") from exc
        if refused:
            log.warning("%s: some recipients refused: %s", message["Message-ID"], refused)

    def _reset(self) -> None:
        if self.smtp is None:
            return
        try:
            self.smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    def close(self) -> None:
        if self.smtp is not None:
            smtp, self.smtp = self.smtp, None
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


class FileTransport:
    """Without MAIL_SERVER: each message is written as `<Message-ID>.eml` in a folder.

    The file is named by the Message-ID, so a message sent again replaces its own copy.
    """

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)

    def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = "".join(c if c.isalnum() or c in "-._@" else "_"
                       for c in str(message["Message-ID"]).strip("<>"))
        data = message.as_bytes()
        fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, self.directory / f"{name}.eml")

    def close(self) -> None:
        pass


class LoggingTransport:
    """Keeps and logs what it is given; for tests and for a gateway channel not yet wired."""

    def __init__(self, fail: Callable[[EmailMessage], Exception | None] | None = None):
        self.sent: list[EmailMessage] = []
        self.fail = fail
        self.lock = threading.Lock()

    def send(self, message: EmailMessage) -> None:
        problem = self.fail(message) if self.fail else None
        if problem is not None:
            raise problem
        with self.lock:
            self.sent.append(message)
        log.info("sent %s to %s: %s", message["Message-ID"], message["To"], message["Subject"])

    def close(self) -> None:
        pass


def email_transport(config) -> Transport:
    """SMTP when MAIL_SERVER is set, else .eml files under OUTBOX_DIR (instance/outbox/)."""
    if config.get("MAIL_SERVER"):
        lease = float(config.get("DELIVERY_LEASE_SECONDS", 120))
        return SmtpTransport(config, timeout=min(30.0, max(1.0, lease / 3)))
    return FileTransport(config.get("OUTBOX_DIR") or "instance/outbox")


@dataclass
class Queue:
    """What the machinery needs to know about one kind of row."""

    model: Any
    where: list = field(default_factory=list)          # extra filters
    #: None: nothing to send (marked sent). A list: several messages for the row (one per
    #: language of a reminder's readers), all sent before the row is recorded as sent.
    build: Callable[[Any], EmailMessage | list[EmailMessage] | None] = None
    wanted: Callable[[Any, datetime], bool] = lambda row, now: True
    on_claim: Callable[[Any, datetime], None] = lambda row, now: None


@dataclass
class Batch:
    sent: int = 0
    failed: int = 0
    withdrawn: int = 0
    stopped: str | None = None


def backoff(config, attempts: int) -> timedelta:
    base = float(config.get("DELIVERY_BACKOFF_SECONDS", 30))
    return timedelta(seconds=min(base * 2 ** max(0, attempts - 1), 6 * 3600))


def _due(queue: Queue, now: datetime, lease: timedelta):
    m = queue.model
    return (select(m).where(m.sent_at.is_(None), m.withdrawn_at.is_(None), m.failed_at.is_(None),
                            m.due_at <= now,
                            or_(m.next_attempt_at.is_(None), m.next_attempt_at <= now),
                            or_(m.sending_at.is_(None), m.sending_at < now - lease), *queue.where)
            .order_by(m.due_at, m.id))


def _fail(row, config, now: datetime, error: BaseException | str) -> None:
    row.attempts = (row.attempts or 0) + 1
    row.last_error = str(error)[:ERROR_MAX] or type(error).__name__
    row.sending_at, row.claimed_by = None, None
    if row.attempts >= int(config.get("DELIVERY_MAX_ATTEMPTS", 5)):
        row.failed_at = now
        log.error("%s %s parked after %s attempts: %s", type(row).__name__, row.id, row.attempts,
                  row.last_error)
    else:
        row.next_attempt_at = now + backoff(config, row.attempts)


def _claim(queue: Queue, config, now: datetime, holder: str, size: int, result: Batch):
    """One short transaction: pick due rows, build their messages, mark them sending."""
    lease = timedelta(seconds=float(config.get("DELIVERY_LEASE_SECONDS", 120)))
    stmt = _due(queue, now, lease).limit(size)
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=queue.model)
    claimed = []
    with write_transaction():
        rows = db.session.scalars(stmt).all()
        for row in rows:
            if not queue.wanted(row, now):
                row.withdrawn_at, row.sending_at = now, None
                result.withdrawn += 1
                continue
            queue.on_claim(row, now)
            try:
                message = queue.build(row)
            except (ValueError, TypeError, UnicodeError, LookupError) as exc:
                _fail(row, config, now, exc)
                result.failed += 1
                continue
            if message is None:  # nobody to send it to: done
                row.sent_at, row.sending_at = now, None
                result.sent += 1
                continue
            row.sending_at, row.claimed_by = now, holder
            claimed.append((row.id, message))
    return len(rows), claimed


def _record(queue: Queue, row_id: int, config, now: datetime, error: BaseException | None = None,
            release: bool = False) -> None:
    with write_transaction():
        row = db.session.get(queue.model, row_id)
        if release:
            row.sending_at, row.claimed_by = None, None
        elif error is None:
            row.sent_at, row.sending_at, row.claimed_by = now, None, None
            row.last_error = None
        else:
            _fail(row, config, now, error)


def _dead(holder: str) -> bool:
    """A claimer on this host whose process is gone (holder is 'host:pid')."""
    host, _sep, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def release_dead_claims(queue: Queue) -> int:
    """Claims of senders on this host that died (kill -9) are released at once, not after the lease."""
    m = queue.model
    holders = db.session.scalars(select(m.claimed_by).where(m.sending_at.is_not(None), m.sent_at.is_(None))
                                 .distinct()).all()
    db.session.rollback()
    dead = [h for h in holders if h and _dead(h)]
    if not dead:
        return 0
    with write_transaction():
        count = db.session.execute(update(m).where(m.claimed_by.in_(dead), m.sent_at.is_(None))
                                   .values(sending_at=None, claimed_by=None)).rowcount
    log.warning("released %s claims of dead senders %s", count, dead)
    return count


def run_queue(queue: Queue, transport: Transport, config, now: datetime, holder: str,
              limit: int = 5000, size: int = 25) -> Batch:
    """Send the queue's due rows until none is left, `limit` is reached, or the transport is down."""
    result = Batch()
    release_dead_claims(queue)
    seen = 0
    while seen < limit:
        picked, claimed = _claim(queue, config, now, holder, min(size, limit - seen), result)
        if picked == 0:
            break
        seen += picked
        for index, (row_id, message) in enumerate(claimed):
            try:
                for one in message if isinstance(message, list) else [message]:
                    transport.send(one)
            except TransportDown as exc:
                log.warning("transport down, %s left for the next run: %s", len(claimed) - index, exc)
                for later_id, _message in claimed[index:]:
                    _record(queue, later_id, config, now, release=True)
                result.stopped = str(exc)
                return result
            except Exception as exc:  # this message only: retried later, the others go on
                log.warning("%s %s refused: %s", queue.model.__name__, row_id, exc)
                _record(queue, row_id, config, now, error=exc)
                result.failed += 1
                continue
            _record(queue, row_id, config, now)
            result.sent += 1
    return result
