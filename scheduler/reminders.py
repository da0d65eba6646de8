"""Reminders as rows: planned when meetings are saved, sent once by the scheduler process.

Kinds: "pending" (units that have not answered, REMINDER_PENDING_BEFORE the start),
"upcoming" (every invited unit, REMINDER_ALL_BEFORE the start) and "manual" (the organiser's
"remind the pending ones now", throttled: a unit reminded less than REMIND_THROTTLE ago is not
reminded again). Rows are sent by `scheduler.outbox`: claimed in one short transaction, sent
outside it, recorded in another; a refused one is retried with backoff, then parked, and never
holds up the others. The in-app notice is written at the claim, whatever SMTP does.
E-mails are rendered by the notices' renderer (`scheduler.notices.render_lines`) through the
catalog: in English for a user who chose English, in Vietnamese for everyone else; a unit whose
readers want both gets one e-mail per language.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import case, exists, func, insert, literal, literal_column, or_, select, update

from models import Notification, Reminder, User, db
from models.base import UTCDateTime, utcnow
from models.database import write_transaction
from models.errors import N_, Conflict, Forbidden, ValidationFailed
from models.meetings import Invitation, Meeting
from models.permissions import can_organize_for
from models.sqltime import shifted

from . import notices
from .notices import Gettext
from .outbox import Queue, SmtpTransport, Transport, email_transport, run_queue
from .working_calendar import WEEKDAYS, WorkingCalendar

log = logging.getLogger("giaoban.reminders")
ASKING_KINDS = ("pending", "manual")  # sent only to units that have not answered


# --- planning -----------------------------------------------------------------------------

#: a meeting enters the horizon at least this long before its earliest planned reminder is due,
#: so the hourly top-up always plans a reminder before it is due
TOP_UP_MARGIN = timedelta(days=2)


@dataclass(frozen=True)
class ReminderOffsets:
    """How long before the start each planned kind of reminder is due, and how far ahead rows
    are planned at all."""

    pending: timedelta
    upcoming: timedelta
    #: a reminder due on a day off goes out at the same time on the working day before
    working_days: frozenset[int] = frozenset(WEEKDAYS)
    #: reminders are planned only for meetings starting within this of now (None: all of them);
    #: the scheduler's hourly `top_up_reminders` plans the others as they come near
    horizon: timedelta | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ReminderOffsets:
        pending, upcoming = config["REMINDER_PENDING_BEFORE"], config["REMINDER_ALL_BEFORE"]
        horizon = config.get("REMINDER_HORIZON")
        if horizon is not None:
            horizon = max(horizon, max(pending, upcoming) + TOP_UP_MARGIN)
        return cls(pending=pending, upcoming=upcoming, working_days=frozenset(config["WORKING_DAYS"]),
                   horizon=horizon)

    @property
    def kinds(self) -> dict[str, timedelta]:
        return {"pending": self.pending, "upcoming": self.upcoming}

    def plans(self, start_at: datetime, now: datetime) -> bool:
        """Whether a meeting starting then gets its reminder rows now (inside the horizon)."""
        return self.horizon is None or start_at <= now + self.horizon


def plan_reminders(meetings: Iterable[Meeting], change: str, offsets: ReminderOffsets,
                   now: datetime | None = None) -> None:
    """Create, move or withdraw the meetings' reminder rows in the caller's session.

    Rows are created only for meetings inside the horizon (`ReminderOffsets.plans`); the
    existing rows of any meeting follow every change.
    """
    now = now or utcnow()
    calendar = WorkingCalendar.from_db(offsets.working_days)
    kinds = offsets.kinds
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
            dues = {kind: calendar.working_before(meeting.start_at - before) for kind, before in kinds.items()}
            for invitation in meeting.invitations:
                for kind in kinds:
                    wanted[(invitation.unit_id or invitation.unit.id, kind)] = dues[kind]
        near = offsets.plans(meeting.start_at, now)
        for key, due in wanted.items():
            row = rows.get(key)
            if row is None:
                if due > now and near:
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


def _plan_new_meetings(meetings, offsets: ReminderOffsets, calendar: WorkingCalendar, now: datetime) -> bool:
    """Newly booked meetings (no reminder rows yet): the rows of those inside the horizon, one
    INSERT ... SELECT per kind from their invitations, whatever the number of occurrences. False
    (nothing done) if any has rows.

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
    near = [m for m in meetings if m.status == "scheduled" and offsets.plans(m.start_at, now)]
    for kind, before in offsets.kinds.items():
        plain = {m.id: m.start_at - before for m in near}
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


def _insert_missing(meetings: list[Meeting], kinds: dict[str, timedelta], calendar: WorkingCalendar,
                    now: datetime) -> None:
    """Every invited unit's reminder of each kind that has no row yet and is still to come, for a
    few meetings (the top-up's): one INSERT ... SELECT per kind, the due time per meeting (moved
    off days off) a CASE over their ids."""
    table = Reminder.__table__
    for kind, before in kinds.items():
        dues = {m.id: calendar.working_before(m.start_at - before)
                for m in meetings if m.status == "scheduled"}
        ids = [mid for mid, due in dues.items() if due > now]
        for i in range(0, len(ids), 100):
            chunk = ids[i:i + 100]
            due_at = case({mid: literal(dues[mid], UTCDateTime()) for mid in chunk}, value=Invitation.meeting_id)
            planned = exists().where(Reminder.meeting_id == Invitation.meeting_id,
                                     Reminder.unit_id == Invitation.unit_id, Reminder.kind == kind)
            db.session.execute(insert(table).from_select(
                ["meeting_id", "unit_id", "kind", "due_at"],
                select(Invitation.meeting_id, Invitation.unit_id, literal_column(f"'{kind}'"), due_at)
                .where(Invitation.meeting_id.in_(chunk), ~planned)))


def top_up_reminders(offsets: ReminderOffsets, now: datetime | None = None) -> int:
    """Plan the reminders of the scheduled meetings that have come inside the horizon since they
    were booked (the scheduler runs it hourly). Idempotent: only missing rows are written, so a
    second run adds nothing. Returns the rows added."""
    if offsets.horizon is None:
        return 0
    now = now or utcnow()
    kinds = offsets.kinds
    unplanned = or_(*(~exists().where(Reminder.meeting_id == Invitation.meeting_id,
                                      Reminder.unit_id == Invitation.unit_id, Reminder.kind == kind)
                      for kind in kinds))
    with write_transaction():
        meetings = list(db.session.scalars(select(Meeting).where(
            Meeting.status == "scheduled", Meeting.start_at > now, Meeting.start_at <= now + offsets.horizon,
            exists().where(Invitation.meeting_id == Meeting.id, unplanned))))
        if not meetings:
            return 0
        rows = select(func.count(Reminder.id)).where(Reminder.meeting_id.in_([m.id for m in meetings]))
        before = db.session.scalar(rows)  # (the driver's rowcount of INSERT ... SELECT is not portable)
        _insert_missing(meetings, kinds, WorkingCalendar.from_db(offsets.working_days), now)
        return db.session.scalar(rows) - before


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


def recipients_by_language(unit_id: int) -> dict[str, list[str]]:
    """The unit's addresses grouped by language ('vi' or 'en'), in the order of `recipients`:
    a user who chose English gets English, everyone else (and contact addresses) Vietnamese."""
    groups: dict[str, list[str]] = {}
    for address, locale in notices.addresses([unit_id])[unit_id]:
        groups.setdefault("en" if locale == "en" else "vi", []).append(address)
    return groups


def kind_of(reminder: Reminder) -> str:
    """The notice kind a reminder is rendered as (scheduler.notices SUBJECTS and INTROS)."""
    return f"reminder_{reminder.kind}"


def compose(reminder: Reminder, config, gettext: Gettext | None = None) -> tuple[str, str]:
    """The subject and text of a reminder in the translator's language (Vietnamese by default),
    by the notices' renderer."""
    gettext = gettext or notices.catalog_translator()("vi")
    kind = kind_of(reminder)
    lines = notices.render_lines(kind, reminder.meeting, reminder.unit, gettext, config)
    return notices.render_subject(kind, reminder.meeting, gettext), "\n".join(t for t, _ in lines) + "\n"


def message_id(reminder: Reminder, language: str | None = None) -> str:
    """The same on every try of this reminder at this due time (and language, when a unit's
    readers want two languages: the Vietnamese copy keeps the plain id)."""
    suffix = f"-{language}" if language and language != "vi" else ""
    return f"<reminder-{reminder.id}-{int(reminder.due_at.timestamp())}{suffix}@giaoban>"


def build_message(reminder: Reminder, to: list[str], config, gettext: Gettext | None = None,
                  language: str | None = None) -> EmailMessage:
    """The e-mail of a reminder: text and HTML from the notices' renderer in the translator's
    language, and the meeting's .ics (REQUEST) attached."""
    gettext = gettext or notices.catalog_translator()("vi")
    kind = kind_of(reminder)
    meeting = reminder.meeting
    message = notices.new_message(", ".join(to), notices.render_subject(kind, meeting, gettext),
                                  notices.render_lines(kind, meeting, reminder.unit, gettext, config),
                                  message_id(reminder, language), config)
    ics = notices.calendar_for(meeting, "REQUEST", False, config, gettext)
    message.add_attachment(ics, maintype="text", subtype="calendar", filename=gettext(N_("meeting.ics")),
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


def _in_app(reminder: Reminder, config, now: datetime, gettext: Gettext | None = None) -> None:
    """The in-app notice of a reminder (in Vietnamese, the units' language), written once at its
    first claim."""
    key = f"reminder:{reminder.id}:{int(reminder.due_at.timestamp())}"
    if db.session.scalar(select(Notification.id).where(Notification.dedupe_key == key)):
        return
    subject, body = compose(reminder, config, gettext)
    db.session.add(Notification(dedupe_key=key, unit_id=reminder.unit_id, meeting_id=reminder.meeting_id,
                                kind=f"reminder_{reminder.kind}", subject=subject, body=body, created_at=now))


def reminder_queue(config, translator_for: Callable[[str | None], Gettext] | None = None) -> Queue:
    """One e-mail per reminder and language of the unit's readers (usually one: Vietnamese)."""
    translator_for = translator_for or notices.catalog_translator()

    def build(reminder: Reminder) -> list[EmailMessage] | None:
        groups = recipients_by_language(reminder.unit_id)
        return [build_message(reminder, to, config, translator_for(language), language)
                for language, to in groups.items()] or None
    return Queue(Reminder, build=build, wanted=_still_wanted,
                 on_claim=lambda reminder, now: _in_app(reminder, config, now, translator_for("vi")))


def send_due_reminders(app_or_config, now: datetime | None = None, limit: int = 1000,
                       transport: Transport | None = None,
                       translator_for: Callable[[str | None], Gettext] | None = None) -> int:
    """Send every due reminder: claim, send outside the transaction, record (scheduler.outbox)."""
    config = getattr(app_or_config, "config", app_or_config)
    now = now or utcnow()
    transport = transport or email_transport(config)
    try:
        return run_queue(reminder_queue(config, translator_for), transport, config, now, notices.holder_name(),
                         limit=limit).sent
    finally:
        transport.close()
