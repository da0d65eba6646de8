"""Reminders as rows: planned when meetings are saved, sent once by the scheduler process.

Kinds: "pending" (units that have not answered, REMINDER_PENDING_BEFORE the start),
"upcoming" (every invited unit, REMINDER_ALL_BEFORE the start) and "manual" (the organiser's
"remind the pending ones now", throttled: a unit reminded less than REMIND_THROTTLE ago is not
reminded again). Rows are sent by `scheduler.outbox`: claimed in one short transaction, sent
outside it, recorded in another; a refused one is retried with backoff, then parked, and never
holds up the others. The in-app notice is written at the claim, whatever SMTP does.
E-mails are written in Vietnamese, the language of the units they go to.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import formatdate
from typing import Any

from sqlalchemy import case, insert, literal, literal_column, select, update

from models import Notification, Reminder, User, db
from models.base import LOCAL, UTCDateTime, utcnow
from models.database import write_transaction
from models.errors import N_, Conflict, Forbidden, ValidationFailed
from models.meetings import Invitation, Meeting
from models.permissions import can_organize_for
from models.sqltime import shifted

from . import notices
from .links import answer_url
from .outbox import Queue, SmtpTransport, Transport, email_transport, run_queue
from .working_calendar import WEEKDAYS, WorkingCalendar

log = logging.getLogger("giaoban.reminders")
ASKING_KINDS = ("pending", "manual")  # sent only to units that have not answered
MODES_VI = {"in_person": "Trực tiếp", "online": "Trực tuyến",
            "hybrid": "Kết hợp trực tiếp và trực tuyến"}


# --- planning -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ReminderOffsets:
    """How long before the start each planned kind of reminder is due."""

    pending: timedelta
    upcoming: timedelta
    #: a reminder due on a day off goes out at the same time on the working day before
    working_days: frozenset[int] = frozenset(WEEKDAYS)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ReminderOffsets:
        return cls(pending=config["REMINDER_PENDING_BEFORE"], upcoming=config["REMINDER_ALL_BEFORE"],
                   working_days=frozenset(config["WORKING_DAYS"]))


def plan_reminders(meetings: Iterable[Meeting], change: str, offsets: ReminderOffsets,
                   now: datetime | None = None) -> None:
    """Create, move or withdraw the meetings' reminder rows in the caller's session."""
    now = now or utcnow()
    calendar = WorkingCalendar.from_db(offsets.working_days)
    offsets = {"pending": offsets.pending, "upcoming": offsets.upcoming}
    if change == "booked" and _plan_new_meetings(meetings, offsets, calendar, now):
        return
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


class ReminderPlanner:
    """The `meetings_saved` receiver: plans reminders with the offsets it was made with."""

    def __init__(self, offsets: ReminderOffsets):
        self.offsets = offsets

    def __call__(self, sender, meetings=(), change: str = "changed", **_ignored) -> None:
        plan_reminders(meetings, change, self.offsets)


def _plan_new_meetings(meetings, offsets: dict, calendar: WorkingCalendar, now: datetime) -> bool:
    """Newly booked meetings (no reminder rows yet): one INSERT ... SELECT per kind from their
    invitations, whatever the number of occurrences. False (nothing done) if any has rows.

    Those whose due time falls on a day off are moved to the working day before by one UPDATE
    per kind (a CASE over their meetings).
    """
    meetings = list(meetings)
    db.session.flush()
    ids = [m.id for m in meetings]
    for i in range(0, len(ids), 900):
        if db.session.scalar(select(Reminder.id).where(Reminder.meeting_id.in_(ids[i:i + 900])).limit(1)):
            return False
    table = Reminder.__table__
    for kind, before in offsets.items():
        plain = {m.id: m.start_at - before for m in meetings if m.status == "scheduled"}
        moved = {mid: calendar.working_before(due) for mid, due in plain.items()}
        due = [mid for mid, at in moved.items() if at > now]
        for i in range(0, len(due), 900):
            db.session.execute(insert(table).from_select(
                ["meeting_id", "unit_id", "kind", "due_at"],
                select(Invitation.meeting_id, Invitation.unit_id, literal_column(f"'{kind}'"),
                       shifted(Meeting.start_at, -before))
                .join(Meeting, Meeting.id == Invitation.meeting_id)
                .where(Invitation.meeting_id.in_(due[i:i + 900]))))
        off = [mid for mid in due if moved[mid] != plain[mid]]
        for i in range(0, len(off), 900):
            chunk = off[i:i + 900]
            db.session.execute(update(Reminder).where(Reminder.meeting_id.in_(chunk), Reminder.kind == kind)
                               .values(due_at=case({mid: literal(moved[mid], UTCDateTime()) for mid in chunk},
                                                   value=Reminder.meeting_id)))
    return True


REMIND_THROTTLE = timedelta(minutes=10)


def remind_pending_now(meeting: Meeting, actor: User, now: datetime | None = None,
                       throttle: timedelta = REMIND_THROTTLE) -> int:
    """Queue a reminder to every unit still pending; the scheduler sends them within a tick.

    A unit reminded by hand less than `throttle` ago is not reminded again (pressing twice
    sends one e-mail); when every pending unit was, the request is refused.
    """
    now = now or utcnow()
    if not can_organize_for(actor, meeting.organizer):
        raise Forbidden(N_("Only the meeting's organiser may send reminders."))
    if meeting.status != "scheduled" or now >= meeting.start_at:
        raise ValidationFailed({"start": N_("The meeting has started or is no longer scheduled.")},
                               N_("Reminders go out only before the start."))
    with write_transaction():
        pending = [i.unit_id for i in meeting.invitations if i.response == "pending"]
        rows = {r.unit_id: r for r in db.session.scalars(
            select(Reminder).where(Reminder.meeting_id == meeting.id, Reminder.kind == "manual"))}
        queued = 0
        for unit_id in pending:
            row = rows.get(unit_id)
            if row is None:
                db.session.add(Reminder(meeting_id=meeting.id, unit_id=unit_id, kind="manual", due_at=now))
            elif row.sent_at is not None and row.sent_at > now - throttle:
                continue  # reminded a moment ago
            elif row.sent_at is not None or row.withdrawn_at is not None or row.failed_at is not None:
                row.due_at, row.sent_at, row.withdrawn_at = now, None, None
                row.failed_at, row.attempts, row.next_attempt_at, row.last_error = None, 0, None, None
            queued += 1
    if pending and not queued:
        raise Conflict(N_("The pending units were reminded less than %(minutes)s minutes ago."),
                       minutes=int(throttle.total_seconds() // 60))
    return queued


# --- delivery -----------------------------------------------------------------------------

Mailer = SmtpTransport  # the name the first version used


def recipients(unit_id: int) -> list[str]:
    """E-mail addresses of the unit: its users who want e-mail (clerks first), then its contacts."""
    return [address for address, _locale in notices.addresses([unit_id])[unit_id]]


def _when(meeting: Meeting) -> str:
    start, end = meeting.start_at.astimezone(LOCAL), meeting.end_at.astimezone(LOCAL)
    return f"{start:%H:%M}–{end:%H:%M} ngày {start:%d/%m/%Y}"


def compose(reminder: Reminder, config) -> tuple[str, str]:
    """The Vietnamese subject and body of a reminder."""
    meeting, unit = reminder.meeting, reminder.unit
    start = meeting.start_at.astimezone(LOCAL)
    title = notices.clean_line(meeting.title)
    lines = [f"Kính gửi: {unit.name}", ""]
    if reminder.kind in ASKING_KINDS:
        subject = f"Đề nghị xác nhận tham dự: {title} ({start:%H:%M %d/%m/%Y})"
        lines.append("Đơn vị chưa xác nhận tham dự cuộc họp dưới đây. Đề nghị xác nhận hoặc "
                     "báo vắng (nêu lý do) trước giờ họp.")
    else:
        subject = f"Nhắc lịch họp: {title} ({start:%H:%M %d/%m/%Y})"
        lines.append("Xin nhắc đơn vị lịch họp sắp diễn ra:")
    lines += ["", f"Cuộc họp: {title}", f"Thời gian: {_when(meeting)}",
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


def message_id(reminder: Reminder) -> str:
    """The same on every try of this reminder at this due time."""
    return f"<reminder-{reminder.id}-{int(reminder.due_at.timestamp())}@giaoban>"


def build_message(reminder: Reminder, to: list[str], config) -> EmailMessage:
    """The e-mail of a reminder: Vietnamese text in UTF-8 and the meeting's .ics (REQUEST)."""
    subject, body = compose(reminder, config)
    # Headers are not folded (RFC 5322 allows 998 octets): folding Vietnamese encoded words
    # makes Python 3.13 decode a doubled space inside the subject.
    message = EmailMessage(policy=UNFOLDED)
    message["From"] = config["MAIL_SENDER"]
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id(reminder)
    message.set_content(body, charset="utf-8")
    ics = notices.calendar_for(reminder.meeting, "REQUEST", False, config)
    message.add_attachment(ics, maintype="text", subtype="calendar", filename="cuoc-hop.ics",
                           params={"method": "REQUEST", "charset": "utf-8"})
    return message


def _still_wanted(reminder: Reminder, now: datetime) -> bool:
    meeting = reminder.meeting
    if meeting.status != "scheduled" or now >= meeting.start_at:
        return False
    invitation = db.session.scalar(select(Invitation).where(
        Invitation.meeting_id == meeting.id, Invitation.unit_id == reminder.unit_id))
    if invitation is None:
        return False
    return reminder.kind not in ASKING_KINDS or invitation.response == "pending"


def _in_app(reminder: Reminder, config, now: datetime) -> None:
    """The in-app notice of a reminder, written once at its first claim."""
    key = f"reminder:{reminder.id}:{int(reminder.due_at.timestamp())}"
    if db.session.scalar(select(Notification.id).where(Notification.dedupe_key == key)):
        return
    subject, body = compose(reminder, config)
    db.session.add(Notification(dedupe_key=key, unit_id=reminder.unit_id, meeting_id=reminder.meeting_id,
                                kind=f"reminder_{reminder.kind}", subject=subject, body=body, created_at=now))


def reminder_queue(config) -> Queue:
    def build(reminder: Reminder) -> EmailMessage | None:
        to = recipients(reminder.unit_id)
        return build_message(reminder, to, config) if to else None
    return Queue(Reminder, build=build, wanted=_still_wanted,
                 on_claim=lambda reminder, now: _in_app(reminder, config, now))


def send_due_reminders(app_or_config, now: datetime | None = None, limit: int = 1000,
                       transport: Transport | None = None) -> int:
    """Send every due reminder: claim, send outside the transaction, record (scheduler.outbox)."""
    config = getattr(app_or_config, "config", app_or_config)
    now = now or utcnow()
    transport = transport or email_transport(config)
    try:
        return run_queue(reminder_queue(config), transport, config, now, notices.holder_name(),
                         limit=limit).sent
    finally:
        transport.close()
