"""Reminders as rows: planned when meetings are saved, sent once by the scheduler process.

Kinds: "pending" (units that have not answered, REMINDER_PENDING_BEFORE the start),
"upcoming" (every invited unit, REMINDER_ALL_BEFORE the start) and "manual" (the organiser's
"remind the pending ones now"). A row is claimed, delivered and marked sent in one
transaction, so a crash before the commit leaves it unsent and nothing is sent twice.
E-mails are written in Vietnamese, the language of the units they go to.
"""
from __future__ import annotations

import logging
import smtplib
from datetime import datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import formatdate

from flask import current_app
from sqlalchemy import select

from models import Notification, Reminder, User, db
from models.base import LOCAL, utcnow
from models.database import begin_write
from models.errors import Forbidden, ValidationFailed
from models.meetings import Invitation, Meeting
from models.permissions import can_organize_for

from .links import answer_url
from .signals import meetings_saved
from .working_calendar import WorkingCalendar

log = logging.getLogger("giaoban.reminders")
ASKING_KINDS = ("pending", "manual")  # sent only to units that have not answered
MODES_VI = {"in_person": "Trực tiếp", "online": "Trực tuyến",
            "hybrid": "Kết hợp trực tiếp và trực tuyến"}


# --- planning -----------------------------------------------------------------------------

def plan_reminders(sender, meetings=(), change: str = "changed", **_ignored) -> None:
    """Create, move or withdraw the meetings' reminder rows in the caller's session."""
    config = current_app.config
    now = utcnow()
    offsets = {"pending": config["REMINDER_PENDING_BEFORE"], "upcoming": config["REMINDER_ALL_BEFORE"]}
    calendar = WorkingCalendar.from_db({int(d) for d in config.get("WORKING_DAYS", "0,1,2,3,4").split(",")})
    for meeting in meetings:
        if meeting.id is None:
            db.session.flush()
        rows = {(r.unit_id, r.kind): r for r in db.session.scalars(
            select(Reminder).where(Reminder.meeting_id == meeting.id))}
        wanted: dict[tuple[int, str], datetime] = {}
        if meeting.status == "scheduled" and change != "cancelled":
            # Due on a day off: it goes out at the same time on the working day before.
            dues = {kind: calendar.working_before(meeting.start_at - before) for kind, before in offsets.items()}
            for invitation in meeting.invitations:
                for kind in offsets:
                    wanted[(invitation.unit_id or invitation.unit.id, kind)] = dues[kind]
        for key, due in wanted.items():
            row = rows.get(key)
            if row is None:
                if due > now:
                    db.session.add(Reminder(meeting_id=meeting.id, unit_id=key[0], kind=key[1],
                                            due_at=due))
            elif row.due_at != due:
                # Re-timed: what was sent named the old time, so plan it again for the new one.
                row.due_at = due
                if due > now:
                    row.sent_at, row.withdrawn_at = None, None
                elif row.sent_at is None:
                    row.withdrawn_at = now
            elif row.withdrawn_at is not None and row.sent_at is None and due > now:
                row.withdrawn_at = None  # invited again
        for key, row in rows.items():
            if key not in wanted and row.sent_at is None and row.withdrawn_at is None:
                row.withdrawn_at = now


meetings_saved.connect(plan_reminders)


def remind_pending_now(meeting: Meeting, actor, now: datetime | None = None) -> int:
    """Queue a reminder to every unit still pending; the scheduler sends them within a tick."""
    now = now or utcnow()
    if not can_organize_for(actor, meeting.organizer):
        raise Forbidden("Only the meeting's organiser may send reminders.")
    if meeting.status != "scheduled" or now >= meeting.start_at:
        raise ValidationFailed({"start": "The meeting has started or is no longer scheduled."},
                               "Reminders go out only before the start.")
    begin_write()
    pending = [i.unit_id for i in meeting.invitations if i.response == "pending"]
    rows = {r.unit_id: r for r in db.session.scalars(
        select(Reminder).where(Reminder.meeting_id == meeting.id, Reminder.kind == "manual"))}
    for unit_id in pending:
        row = rows.get(unit_id)
        if row is None:
            db.session.add(Reminder(meeting_id=meeting.id, unit_id=unit_id, kind="manual", due_at=now))
        elif row.sent_at is not None or row.withdrawn_at is not None:
            row.due_at, row.sent_at, row.withdrawn_at = now, None, None
    db.session.commit()
    return len(pending)


# --- delivery -----------------------------------------------------------------------------

class Mailer:
    """One SMTP connection for a batch, opened on the first message."""

    def __init__(self, config):
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        smtp = smtplib.SMTP(c["MAIL_SERVER"], c["MAIL_PORT"], timeout=30)
        try:
            if c.get("MAIL_USE_TLS"):
                smtp.starttls()
            if c.get("MAIL_USERNAME"):
                smtp.login(c["MAIL_USERNAME"], c.get("MAIL_PASSWORD") or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self.smtp is None:
            self.smtp = self._connect()
        self.smtp.send_message(message)

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None


def recipients(unit_id: int) -> list[str]:
    """E-mail addresses of the unit's enabled users, clerks first."""
    users = db.session.scalars(select(User).where(User.unit_id == unit_id, User.is_enabled.is_(True))
                               .order_by(User.role != "clerk", User.id)).all()
    return [u.email for u in users]


def _when(meeting: Meeting) -> str:
    start, end = meeting.start_at.astimezone(LOCAL), meeting.end_at.astimezone(LOCAL)
    return f"{start:%H:%M}–{end:%H:%M} ngày {start:%d/%m/%Y}"


def compose(reminder: Reminder, config) -> tuple[str, str]:
    """The Vietnamese subject and body of a reminder."""
    meeting, unit = reminder.meeting, reminder.unit
    start = meeting.start_at.astimezone(LOCAL)
    lines = [f"Kính gửi: {unit.name}", ""]
    if reminder.kind in ASKING_KINDS:
        subject = f"Đề nghị xác nhận tham dự: {meeting.title} ({start:%H:%M %d/%m/%Y})"
        lines.append("Đơn vị chưa xác nhận tham dự cuộc họp dưới đây. Đề nghị xác nhận hoặc "
                     "báo vắng (nêu lý do) trước giờ họp.")
    else:
        subject = f"Nhắc lịch họp: {meeting.title} ({start:%H:%M %d/%m/%Y})"
        lines.append("Xin nhắc đơn vị lịch họp sắp diễn ra:")
    lines += ["", f"Cuộc họp: {meeting.title}", f"Thời gian: {_when(meeting)}",
              f"Hình thức: {MODES_VI.get(meeting.mode, meeting.mode)}",
              f"Đơn vị chủ trì: {meeting.organizer.name}"]
    if meeting.location:
        lines.append(f"Địa điểm: {meeting.location}")
    if meeting.bridge is not None:
        lines.append(f"Cầu truyền hình: {meeting.bridge.name}")
    if reminder.kind in ASKING_KINDS:
        lines += ["", f"Xác nhận tham dự: {answer_url(config, meeting, unit, 'confirmed')}",
                  f"Báo vắng: {answer_url(config, meeting, unit, 'declined')}"]
    lines += ["", "Lịch họp kèm theo thư này (tệp .ics) có thể mở bằng ứng dụng lịch.", "",
              "Giao Ban: hệ thống lịch họp và giao ban trực tuyến"]
    return subject, "\n".join(lines) + "\n"


UNFOLDED = default_policy.clone(max_line_length=998)


def build_message(reminder: Reminder, to: list[str], config) -> EmailMessage:
    """The e-mail of a reminder: Vietnamese text in UTF-8 and the meeting's .ics (REQUEST)."""
    from webapp.ical import meeting_calendar_bytes

    subject, body = compose(reminder, config)
    # Headers are not folded (RFC 5322 allows 998 octets): folding Vietnamese encoded words
    # makes Python 3.13 decode a doubled space inside the subject.
    message = EmailMessage(policy=UNFOLDED)
    message["From"] = config["MAIL_SENDER"]
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    stamp = int(reminder.due_at.timestamp())
    message["Message-ID"] = f"<reminder-{reminder.id}-{stamp}@giaoban>"
    message.set_content(body, charset="utf-8")
    ics = meeting_calendar_bytes(reminder.meeting, config["PUBLIC_URL"], method="REQUEST")
    message.add_attachment(ics, maintype="text", subtype="calendar", filename="cuoc-hop.ics",
                           params={"method": "REQUEST", "charset": "utf-8"})
    return message


def _claim_next(now: datetime) -> Reminder | None:
    """Open a writer's transaction and lock the next due, unsent reminder."""
    stmt = (select(Reminder).where(Reminder.sent_at.is_(None), Reminder.withdrawn_at.is_(None),
                                   Reminder.due_at <= now)
            .order_by(Reminder.due_at, Reminder.id).limit(1))
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    else:
        begin_write()  # BEGIN IMMEDIATE: one claimer at a time holds the write lock
    return db.session.scalar(stmt)


def _still_wanted(reminder: Reminder, now: datetime) -> bool:
    meeting = reminder.meeting
    if meeting.status != "scheduled" or now >= meeting.start_at:
        return False
    invitation = db.session.scalar(select(Invitation).where(
        Invitation.meeting_id == meeting.id, Invitation.unit_id == reminder.unit_id))
    if invitation is None:
        return False
    return reminder.kind not in ASKING_KINDS or invitation.response == "pending"


def deliver(reminder: Reminder, mailer: Mailer, config, now: datetime) -> bool:
    """Send one claimed reminder (or withdraw it when no longer wanted); the caller commits."""
    if not _still_wanted(reminder, now):
        reminder.withdrawn_at = now
        return False
    to = recipients(reminder.unit_id)
    message = build_message(reminder, to, config)
    db.session.add(Notification(
        dedupe_key=f"reminder:{reminder.id}:{int(reminder.due_at.timestamp())}",
        unit_id=reminder.unit_id, meeting_id=reminder.meeting_id, kind=f"reminder_{reminder.kind}",
        subject=str(message["Subject"]), body=compose(reminder, config)[1], created_at=now))
    reminder.sent_at = now
    db.session.flush()
    if to:
        mailer.send(message)
    return True


def send_due_reminders(app_or_config, now: datetime | None = None, limit: int = 1000) -> int:
    """Send every due, unsent reminder, each in its own claim-send-mark transaction."""
    config = getattr(app_or_config, "config", app_or_config)
    now = now or utcnow()
    mailer, sent = Mailer(config), 0
    try:
        for _ in range(limit):
            reminder = _claim_next(now)
            if reminder is None:
                db.session.rollback()
                break
            reminder_id = reminder.id
            try:
                sent += deliver(reminder, mailer, config, now)
                db.session.commit()
            except (smtplib.SMTPException, OSError):
                db.session.rollback()
                log.exception("SMTP failed; reminder %s stays unsent for the next run", reminder_id)
                break
    finally:
        mailer.close()
    return sent
