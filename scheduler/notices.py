"""Every invited unit is told: notices written with the change, delivered per channel.

`record_notices` listens to `meetings_saved` (connected by `scheduler.signals.connect_receivers`) and adds,
in the caller's transaction, one Notice per affected unit and change, with what changed
(before and after), an in-app Delivery that is delivered at once, and one e-mail Delivery per
address (the unit's users who want e-mail, and the unit's own contact addresses). A change
to several occurrences of a series is one notice per unit for the series.

The scheduler process sends the e-mail deliveries through `scheduler.outbox` (claim, send
outside any transaction, record), as iTIP messages (RFC 5546) that calendar clients show as
an invitation, an update or a cancellation. Text comes from the catalog through a translator
the caller passes in (`gettext`), in the recipient's language.
"""
from __future__ import annotations

import html
import logging
import os
import socket
from collections.abc import Callable, Iterable
from datetime import datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import formatdate

from sqlalchemy import Integer, String, Text, and_, cast, insert, inspect, literal, select

from models import Bridge, Delivery, Invitation, Meeting, Notice, Unit, User, db
from models.base import LOCAL, UTCDateTime, single_line_rows, utcnow
from models.calendar_feeds import dial_addresses, joining
from models.database import among
from models.errors import N_
from models.meetings import group_by_series

from .changes import VISIBLE
from .links import answer_url, document_url
from .outbox import Queue, Transport, email_transport, run_queue
from .recurrence_words import describe_rrule

log = logging.getLogger("giaoban.notices")
Gettext = Callable[[str], str]
REQUEST_KINDS = ("booked", "changed", "unit_added", "restored")
CANCEL_KINDS = ("cancelled", "unit_removed")
TASK_KINDS = ("task_due_soon", "task_overdue")  # rendered by scheduler.followup
UNFOLDED = default_policy.clone(max_line_length=998)

SUBJECTS = {
    "booked": N_("Invitation: %(title)s (%(when)s)"),
    "unit_added": N_("Invitation: %(title)s (%(when)s)"),
    "changed": N_("Changed: %(title)s (%(when)s)"),
    "unit_removed": N_("No longer invited: %(title)s (%(when)s)"),
    "cancelled": N_("Cancelled: %(title)s (%(when)s)"),
    "restored": N_("No longer cancelled: %(title)s (%(when)s)"),
    "outcome_request": N_("Outcome to record: %(title)s (%(when)s)"),
    "reminder_pending": N_("Please confirm attendance: %(title)s (%(when)s)"),
    "reminder_manual": N_("Please confirm attendance: %(title)s (%(when)s)"),
    "reminder_upcoming": N_("Reminder: %(title)s (%(when)s)"),
    "minutes_published": N_("Minutes published: %(title)s (%(when)s)"),
    "tasks_assigned": N_("Tasks assigned: %(title)s (%(when)s)"),
    "documents_published": N_("Documents: %(title)s (%(when)s)"),
}
INTROS = {
    "booked": N_("Your unit is invited to the meeting below."),
    "unit_added": N_("Your unit is invited to the meeting below."),
    "changed": N_("The meeting below has changed."),
    "unit_removed": N_("Your unit is no longer invited to the meeting below."),
    "cancelled": N_("The meeting below is cancelled."),
    "restored": N_("The cancellation of the meeting below was undone: it takes place as planned."),
    "outcome_request": N_("The meeting below has ended: please record its outcome."),
    "reminder_pending": N_("Your unit has not yet confirmed its attendance of the meeting below. "
                           "Please confirm, or decline with a reason, before it starts."),
    "reminder_manual": N_("Your unit has not yet confirmed its attendance of the meeting below. "
                          "Please confirm, or decline with a reason, before it starts."),
    "reminder_upcoming": N_("A reminder of the meeting below, coming up soon."),
    "minutes_published": N_("The minutes of the meeting below are published."),
    "tasks_assigned": N_("The conclusions notice of the meeting below assigns tasks to your unit."),
    "documents_published": N_("A document of the meeting below has been published."),
}
#: kinds whose e-mail carries the one-click confirm and decline links
ASKING_KINDS = REQUEST_KINDS + ("reminder_pending", "reminder_manual")
FIELD_LABELS = {"when": N_("Time"), "title": N_("Title"), "location": N_("Place"),
                "mode": N_("Mode"), "bridge": N_("Bridge"), "dial_prefix": N_("Dial-in prefix"),
                "dial_in": N_("Dial-in address"), "description": N_("Description"),
                "category": N_("Category"), "document": N_("Document")}
#: what a meeting change compares (the joining details' `dial_in` changes with the host's endpoints)
DIFF_FIELDS = ("when", "title", "location", "mode", "bridge", "dial_prefix", "description", "category")
MODE_NAMES = {"in_person": N_("In person"), "online": N_("Online"), "hybrid": N_("Hybrid")}


def clean_line(value: str | None) -> str:
    """A single-line field as it may go into a header: line breaks and controls become spaces."""
    return " ".join("".join(c if c.isprintable() else " " for c in (value or "")).split())


# --- who is told --------------------------------------------------------------------------

def contact_list(text: str | None) -> list[str]:
    """A unit's contact addresses: one a line (commas and semicolons also separate)."""
    out: list[str] = []
    for part in (text or "").replace(",", "\n").replace(";", "\n").splitlines():
        address = part.strip()
        if address and address not in out:
            out.append(address)
    return out


def addresses(unit_ids: Iterable[int]) -> dict[int, list[tuple[str, str | None]]]:
    """Per unit, the (address, locale) pairs e-mail goes to: its users who want e-mail (clerks
    first), then its own contact addresses (in Vietnamese)."""
    ids = set(unit_ids)
    found: dict[int, list[tuple[str, str | None]]] = {i: [] for i in ids}
    if not ids:
        return found
    users = db.session.execute(
        select(User.unit_id, User.email, User.locale)
        .where(among(User.unit_id, ids), User.is_enabled.is_(True), User.email_notices.is_(True))
        .order_by(User.unit_id, User.role != "clerk", User.id)).all()
    for unit_id, email, locale in users:
        found[unit_id].append((email, locale))
    for unit_id, text in db.session.execute(
            select(Unit.id, Unit.contact_emails).where(among(Unit.id, ids), Unit.contact_emails.is_not(None))):
        have = {a.lower() for a, _ in found[unit_id]}
        found[unit_id] += [(a, "vi") for a in contact_list(text) if a.lower() not in have]
    return found


def set_unit_contacts(unit: Unit, addresses: list[str], actor: User) -> None:
    """Set a unit's own contact addresses (one a line), with an audit row."""
    from models import audit
    from models.database import write_transaction

    with write_transaction():
        before = unit.contact_emails
        unit.contact_emails = "\n".join(addresses) or None
        if before != unit.contact_emails:
            audit.record(actor, "contacts", "unit", unit.id, {"contact_emails": before},
                         {"contact_emails": unit.contact_emails})


# --- recording ----------------------------------------------------------------------------

def _groups(meetings) -> list[list[Meeting]]:
    """Single meetings alone; the rows of one series together (one notice for them)."""
    groups = group_by_series(meetings)
    for rows in groups:
        rows.sort(key=lambda m: m.start_at)
    return groups


def _value(field: str, snap: dict, bridges: dict[int, tuple[str, str | None]]):
    if field == "when":
        return [snap["start_at"], snap["end_at"]]
    if field in ("bridge", "dial_prefix"):
        name, prefix = bridges.get(snap.get("bridge_id"), (None, None))
        return name if field == "bridge" else prefix
    return snap.get(field)


def _snapshot(m: Meeting) -> dict:
    from models import audit

    return audit.snapshot(m, VISIBLE)


def diff(before: dict, after: dict) -> list[dict]:
    """What an invitee sees change, as [{field, before, after}] (times in ISO, modes as codes)."""
    ids = {before.get("bridge_id"), after.get("bridge_id")} - {None}
    bridges = {i: (name, prefix) for i, name, prefix in db.session.execute(
        select(Bridge.id, Bridge.name, Bridge.dial_prefix).where(Bridge.id.in_(ids)))} if ids else {}
    out = []
    for field in DIFF_FIELDS:
        old, new = _value(field, before, bridges), _value(field, after, bridges)
        if old != new:
            out.append({"field": field, "before": old, "after": new})
    return out


def _add(notices: list, unit_id: int, rows: list[Meeting], kind: str, changes=None, reason=None):
    whole = len(rows) > 1
    method = "REQUEST" if kind in REQUEST_KINDS else "CANCEL" if kind in CANCEL_KINDS else None
    notices.append(dict(unit_id=unit_id, meeting_id=rows[0].id, series_id=rows[0].series_id if whole else None,
                        kind=kind, method=method, changes=changes or None, reason=reason,
                        occurrences=len(rows), read_at=None))


def _invited(meeting: Meeting) -> set[int]:
    """The units invited to a meeting: from its invitations when the session holds them (a
    change in progress), else by one query (a booking to the whole country: 3,321 ids, no
    objects)."""
    if "invitations" in inspect(meeting).dict:
        return {inv.unit_id or inv.unit.id for inv in meeting.invitations}
    return set(db.session.scalars(select(Invitation.unit_id).where(Invitation.meeting_id == meeting.id)))


#: changes every invited unit hears alike: their notices are written from the invitations by SQL
TOLD_ALIKE = ("booked", "cancelled", "restored")


def _told_alike(rows: list[Meeting], kind: str, reason: str | None, now: datetime):
    """INSERT ... SELECT: the notice of `kind` for every unit invited to `rows` (one notice for
    a series' rows), from their invitations; no row is built in Python."""
    whole = len(rows) > 1
    method = "REQUEST" if kind in REQUEST_KINDS else "CANCEL" if kind in CANCEL_KINDS else None
    return insert(Notice.__table__).from_select(
        ["unit_id", "meeting_id", "series_id", "kind", "method", "reason", "occurrences", "created_at"],
        select(Invitation.unit_id, literal(rows[0].id, Integer()),
               literal(rows[0].series_id if whole else None, Integer()), literal(kind, String()),
               literal(method, String()), literal(reason, Text()), literal(len(rows), Integer()),
               literal(now, UTCDateTime()))
        .where(Invitation.meeting_id == rows[0].id).order_by(Invitation.unit_id))


def record_notices(sender, meetings=(), change: str = "changed", before=None, before_units=None,
                   reason: str | None = None, **_ignored) -> int:
    """Add the notices of a change and their deliveries to the caller's session (not committed);
    returns how many notices.

    before: {meeting id: audit snapshot before the change}; before_units: {meeting id: set of
    unit ids invited before it}. Both are passed by `change_meeting`.
    """
    now = utcnow()
    meetings = [m for m in meetings if m is not None]
    if not meetings or change not in ("booked", "changed", "cancelled", "restored"):
        return 0
    if any(m.id is None for m in meetings):
        db.session.flush()
    notices: list[dict] = []
    alike = []
    for rows in _groups(meetings):
        head = rows[0]
        if head.recorded_after:  # booked after the fact with its outcome: nobody to tell
            continue
        if change in TOLD_ALIKE:
            alike.append(_told_alike(rows, change, reason if change == "cancelled" else None, now))
            continue
        invited = _invited(head)
        was = set((before_units or {}).get(head.id, invited))
        changes = diff((before or {}).get(head.id, {}), _snapshot(head)) if before else []
        for unit_id in sorted(invited - was):
            _add(notices, unit_id, rows, "unit_added")
        for unit_id in sorted(was - invited):
            _add(notices, unit_id, rows, "unit_removed")
        if changes:
            for unit_id in sorted(invited & was):
                _add(notices, unit_id, rows, "changed", changes)
    if not notices and not alike:
        return 0
    # Set-based: a briefing to the whole country is 3,321 notices and as many deliveries. The
    # notices of a booking, cancellation or restoration are written from the invitations and the
    # in-app deliveries from the notices, one INSERT ... SELECT each; a change's own notices
    # (who was added, removed, what changed) in one executemany; e-mail deliveries only for the
    # units that have an address.
    if alike:
        db.session.flush()  # the invitations they are read from are in the database
    for statement in alike:
        db.session.execute(statement)
    for n in notices:
        n["created_at"] = now
    if notices:
        db.session.execute(insert(Notice.__table__), single_line_rows(Notice.__table__, notices))
    mine = and_(Notice.meeting_id.in_(sorted({m.id for m in meetings})), Notice.created_at == now)
    made = db.session.execute(select(Notice.id, Notice.unit_id).where(mine).order_by(Notice.id)).all()
    if not made:
        return 0
    db.session.execute(insert(Delivery.__table__).from_select(
        ["notice_id", "channel", "recipient", "locale", "due_at", "sent_at", "withdrawn_at", "attempts"],
        select(Notice.id, literal("in_app", String()),
               literal("unit:", String()) + cast(Notice.unit_id, String()), literal(None, String()),
               literal(now, UTCDateTime()), literal(now, UTCDateTime()), literal(None, UTCDateTime()),
               literal(0, Integer()))
        .where(mine).order_by(Notice.id)))
    found = addresses({unit_id for _id, unit_id in made})
    rows = [dict(values, notice_id=notice_id, withdrawn_at=None)
            for notice_id, unit_id in made for values in delivery_values(unit_id, found, now)[1:]]
    if rows:
        db.session.execute(insert(Delivery.__table__), single_line_rows(Delivery.__table__, rows))
    return len(made)


def delivery_values(unit_id: int, found: dict, now: datetime) -> list[dict]:
    """A notice's deliveries. In-app: delivered now. E-mail: one per address (`addresses`), sent
    by the scheduler."""
    return [dict(channel="in_app", recipient=f"unit:{unit_id}", locale=None, due_at=now, sent_at=now)] + [
        dict(channel="email", recipient=address[:254], locale=locale, due_at=now, sent_at=None)
        for address, locale in found.get(unit_id, [])]


def record_changed(meetings: list[Meeting], changes: list[dict], now: datetime) -> list[Notice]:
    """A "changed" notice per invited unit (a series' rows: one notice) for a change made outside
    the meetings themselves: their bridge renamed or given another prefix, the host's dial-in."""
    values: list[dict] = []
    for rows in _groups(meetings):
        for unit_id in sorted({inv.unit_id for inv in rows[0].invitations}):
            _add(values, unit_id, rows, "changed", changes)
    notices = [Notice(**v) for v in values]
    attach_deliveries(notices, now)
    db.session.add_all(notices)
    return notices


def attach_deliveries(notices: list[Notice], now: datetime) -> None:
    """Give notice objects their deliveries (`delivery_values`)."""
    found = addresses({n.unit_id for n in notices})
    for n in notices:
        n.created_at = now
        n.deliveries = [Delivery(**values) for values in delivery_values(n.unit_id, found, now)]


def outcome_request(meeting: Meeting, now: datetime) -> Notice:
    """Tell the organiser that a meeting ended with no outcome recorded (the caller dedupes)."""
    notice = Notice(unit_id=meeting.organizer_id, meeting_id=meeting.id, kind="outcome_request",
                    occurrences=1)
    attach_deliveries([notice], now)
    db.session.add(notice)
    return notice




# --- words --------------------------------------------------------------------------------

def when_text(start: datetime, end: datetime, gettext: Gettext) -> str:
    start, end = start.astimezone(LOCAL), end.astimezone(LOCAL)
    return gettext(N_("%(start)s–%(end)s on %(date)s")) % {
        "start": f"{start:%H:%M}", "end": f"{end:%H:%M}", "date": f"{start:%d/%m/%Y}"}


def value_text(field: str, value, gettext: Gettext) -> str:
    """A changed field's value in words."""
    if value in (None, "", []):
        return gettext(N_("(none)"))
    if field == "when":
        return when_text(datetime.fromisoformat(value[0]), datetime.fromisoformat(value[1]), gettext)
    if field == "mode":
        return gettext(MODE_NAMES.get(value, value))
    if isinstance(value, list):  # the dial-in addresses
        return ", ".join(clean_line(str(v)) for v in value)
    return clean_line(str(value)) if field != "description" else str(value)


def describe(changes: list[dict] | None, gettext: Gettext) -> list[tuple[str, str, str]]:
    """(label, before, after) for each change, in the translator's language."""
    return [(gettext(FIELD_LABELS.get(c["field"], c["field"])), value_text(c["field"], c.get("before"), gettext),
             value_text(c["field"], c.get("after"), gettext)) for c in changes or []]


#: the scheduler's notifications by kind: (subject, body) message ids, filled from `params`
NOTIFICATION_TEXTS = {
    "stale_endpoints": (N_("Endpoints to check again (%(count)d)"),
                        N_("The latest passing check of these endpoints is more than %(days)d days old: "
                           "%(names)s. Please check their connection again.")),
    "awaiting_outcome": (N_("Outcome not recorded: %(title)s"),
                         N_("The meeting \"%(title)s\" at %(when)s has ended but its outcome is not "
                            "recorded (held or cancelled, the mode, the units that connected).")),
}


def notification_text(kind: str, params: dict, gettext: Gettext) -> tuple[str, str]:
    """A notification's subject and body in the translator's language."""
    subject, body = NOTIFICATION_TEXTS[kind]
    return gettext(subject) % params, gettext(body) % params


def shown_notification(notification, gettext: Gettext) -> tuple[str, str | None]:
    """What a reader sees of a notification: rendered in their language when it has its
    parameters, else (rows written before they were kept) the stored text."""
    if notification.params is not None and notification.kind in NOTIFICATION_TEXTS:
        return notification_text(notification.kind, notification.params, gettext)
    return notification.subject, notification.body


def subject_of(notice: Notice, gettext: Gettext) -> str:
    if notice.kind in TASK_KINDS:  # a follow-up task's reminder speaks of the task
        from .followup import task_subject
        return task_subject(notice, gettext)
    return render_subject(notice.kind, notice.meeting, gettext)


def body_lines(notice: Notice, gettext: Gettext, config) -> list[tuple[str, str | None]]:
    """The e-mail's lines as (text, link or None)."""
    if notice.kind in TASK_KINDS:
        from .followup import task_lines
        return task_lines(notice, gettext, config)
    return render_lines(notice.kind, notice.meeting, notice.unit, gettext, config, changes=notice.changes,
                        reason=notice.reason, occurrences=notice.occurrences)


def render_subject(kind: str, m: Meeting, gettext: Gettext) -> str:
    """The subject of a notice or reminder e-mail of `kind`, in the translator's language."""
    return clean_line(gettext(SUBJECTS[kind]) % {
        "title": clean_line(m.title), "when": when_text(m.start_at, m.end_at, gettext)})


def plural_of(gettext: Gettext) -> Callable[[str, str, int], str]:
    """The ngettext that goes with a translator's gettext (a catalog's own; English forms otherwise)."""
    owner = getattr(gettext, "__self__", None)
    if owner is not None and hasattr(owner, "ngettext"):
        return owner.ngettext
    return lambda singular, plural, n: singular if n == 1 else plural


def series_text(m: Meeting, gettext: Gettext) -> str:
    """The meeting's series in words ("Hằng tuần vào thứ Hai, 8 buổi, từ 07/01/2019")."""
    return describe_rrule(m.series.rrule, m.series.dtstart_local, gettext, plural_of(gettext),
                          lambda day: day.strftime("%d/%m/%Y"))


def render_lines(kind: str, m: Meeting, unit: Unit, gettext: Gettext, config, changes=None,
                 reason: str | None = None, occurrences: int = 1) -> list[tuple[str, str | None]]:
    """The one renderer of what a unit is told about a meeting (notices and reminders alike):
    the lines as (text, link or None), every sentence from the catalog."""
    lines: list[tuple[str, str | None]] = [(gettext(N_("To: %(unit)s")) % {"unit": unit.name}, None), ("", None),
                                           (gettext(INTROS[kind]), None), ("", None)]
    for label, old, new in describe(changes, gettext):
        lines.append((gettext(N_("%(field)s: %(before)s → %(after)s")) % {
            "field": label, "before": old, "after": new}, None))
    if changes:
        lines.append(("", None))
    lines.append((gettext(N_("Meeting: %(title)s")) % {"title": clean_line(m.title)}, None))
    lines.append((gettext(N_("Time: %(when)s")) % {"when": when_text(m.start_at, m.end_at, gettext)}, None))
    if m.series is not None:
        lines.append((gettext(N_("Series: %(rule)s")) % {"rule": series_text(m, gettext)}, None))
    if occurrences > 1 and m.series is not None:
        lines.append((gettext(N_("Recurring: this notice covers %(count)s occurrences of the series.")) % {
            "count": occurrences}, None))
    lines.append((gettext(N_("Mode: %(mode)s")) % {"mode": gettext(MODE_NAMES.get(m.mode, m.mode))}, None))
    lines.append((gettext(N_("Organiser: %(unit)s")) % {"unit": m.organizer.name}, None))
    if m.location:
        lines.append((gettext(N_("Place: %(place)s")) % {"place": clean_line(m.location)}, None))
    how = joining(m, dial_addresses({m.organizer_id}))
    if how.bridge:
        lines.append((gettext(N_("Bridge: %(bridge)s")) % {"bridge": how.bridge}, None))
    if how.prefix:
        lines.append((gettext(N_("Dial-in prefix: %(prefix)s")) % {"prefix": how.prefix}, None))
    for address in how.addresses:
        lines.append((gettext(N_("Dial-in address: %(address)s")) % {"address": address}, None))
    if reason:
        lines.append((gettext(N_("Reason: %(reason)s")) % {"reason": reason}, None))
    if kind not in CANCEL_KINDS and m.status != "cancelled":
        lines += briefing_lines(m, gettext, config)
    lines.append(("", None))
    if kind in ASKING_KINDS and m.status == "scheduled":
        yes, no = answer_url(config, m, unit, "confirmed"), answer_url(config, m, unit, "declined")
        lines.append((gettext(N_("Confirm attendance: %(url)s")) % {"url": yes}, yes))
        lines.append((gettext(N_("Decline (give a reason): %(url)s")) % {"url": no}, no))
    link = f"{config['PUBLIC_URL'].rstrip('/')}/meetings/{m.id}"
    lines.append((gettext(N_("Open the meeting: %(url)s")) % {"url": link}, link))
    lines += [("", None), (gettext(N_("Giao Ban: the meeting and videoconference schedule")), None)]
    return lines


def briefing_lines(m: Meeting, gettext: Gettext, config) -> list[tuple[str, str | None]]:
    """The programme and the published documents (with their signed download links)."""
    from .briefing import programme_lines, published_documents

    lines: list[tuple[str, str | None]] = []
    programme = programme_lines(m)
    if programme:
        lines += [("", None), (gettext(N_("Programme:")), None)] + [(line, None) for line in programme]
    documents = published_documents([m.id]).get(m.id, [])
    if documents:
        lines += [("", None), (gettext(N_("Documents:")), None)]
        for doc in documents:
            url = document_url(config, doc)
            lines.append((f"- {clean_line(doc.filename)}: {url}", url))
    return lines


def new_message(to: str, subject: str, lines: list[tuple[str, str | None]], message_id: str,
                config) -> EmailMessage:
    """The headers and the text and HTML parts every e-mail of the app has."""
    message = EmailMessage(policy=UNFOLDED)
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content("\n".join(t for t, _ in lines) + "\n", charset="utf-8")
    message.add_alternative(_html(lines), subtype="html", charset="utf-8")
    return message


def _html(lines: list[tuple[str, str | None]]) -> str:
    out = []
    for text, link in lines:
        if link:
            label, _sep, _url = text.rpartition(link)
            out.append(f'{html.escape(label)}<a href="{html.escape(link)}">{html.escape(link)}</a>')
        else:
            out.append(html.escape(text))
    return ('<!DOCTYPE html><html><body style="font-family:sans-serif"><p>'
            + "<br>\n".join(out) + "</p></body></html>\n")


def calendar_for(meeting: Meeting, method: str, whole_series: bool, config,
                 gettext: Gettext | None = None) -> bytes:
    """The iTIP calendar of a notice: the one place the calendar serialiser is called.

    A whole series is its PUBLISH form (master with RRULE and overrides) under this METHOD.
    """
    from . import ical
    from .briefing import attachment_loader

    labels = ical.labels_in(gettext) if gettext else ical.Labels()
    ctx = ical.make_context(config["PUBLIC_URL"], config.get("MAIL_SENDER") or "giaoban@localhost", labels,
                            load_dial=dial_addresses, load_documents=attachment_loader(config))
    if not whole_series:
        return ical.meeting_calendar_bytes(meeting, ctx, method=method)
    data = ical.meeting_calendar_bytes(meeting, ctx, method="PUBLISH")
    data = data.replace(b"METHOD:PUBLISH\r\n", f"METHOD:{method}\r\n".encode(), 1)
    if method == "CANCEL":  # what is withdrawn from the recipient reads as cancelled (RFC 5546 3.2.5)
        data = data.replace(b"\r\nSTATUS:CONFIRMED\r\n", b"\r\nSTATUS:CANCELLED\r\n")
    return data


def message_id(delivery: Delivery) -> str:
    """The e-mail's identity: the same on every try, so a copy sent again is recognised."""
    return f"<notice-{delivery.notice_id}-{delivery.id}@giaoban>"


def build_email(delivery: Delivery, gettext: Gettext, config, calendars: dict | None = None) -> EmailMessage:
    """multipart/alternative: text/plain, text/html and text/calendar (method=...) for iTIP.

    `calendars` caches the calendar part within a batch: it is the same for every unit told
    of one change (a series to 556 units is serialised once, not 556 times).
    """
    notice = delivery.notice
    message = new_message(delivery.recipient, subject_of(notice, gettext), body_lines(notice, gettext, config),
                          message_id(delivery), config)
    if notice.method:
        m = notice.meeting
        key = (m.id, notice.method, notice.series_id is not None, m.revision,
               m.series.revision if m.series is not None else None, m.updated_at, delivery.locale)
        ics = calendars.get(key) if calendars is not None else None
        if ics is None:
            ics = calendar_for(m, notice.method, notice.series_id is not None, config, gettext)
            if calendars is not None:
                calendars[key] = ics
        message.add_alternative(ics.decode("utf-8"), subtype="calendar", charset="utf-8",
                                params={"method": notice.method})
    return message


# --- delivery -----------------------------------------------------------------------------

def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def english(message: str) -> str:
    return message


_catalogs: dict = {}
CATALOG_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "webapp", "translations")


def catalog_translator(directory: str | None = None) -> Callable[[str | None], Gettext]:
    """gettext of the app's catalog per locale ('en': English; unknown or none: Vietnamese),
    each catalog loaded once. `directory` defaults to the app's translations."""
    from babel.support import Translations

    directory = directory or CATALOG_DIR

    def get(locale: str | None) -> Gettext:
        code = locale if locale in ("vi", "en") else "vi"
        key = (directory, code)
        if key not in _catalogs:
            _catalogs[key] = Translations.load(directory, [code]) if code != "en" else None
        t = _catalogs[key]
        return t.gettext if t is not None else english
    return get


def send_due_notices(config, now: datetime | None = None, translator_for: Callable[[str | None], Gettext] | None = None,
                     transports: dict[str, Transport] | None = None, limit: int = 5000) -> int:
    """Send the due deliveries of every channel but in-app; one channel's trouble stays its own."""
    now = now or utcnow()
    translator_for = translator_for or (lambda locale: english)
    transports = dict(transports or {})
    if "email" not in transports:
        transports["email"] = email_transport(config)
    sent = 0
    calendars: dict = {}
    for channel, transport in transports.items():
        queue = Queue(Delivery, where=[Delivery.channel == channel],
                      build=lambda d: build_email(d, translator_for(d.locale), config, calendars))
        try:
            sent += run_queue(queue, transport, config, now, holder_name(), limit=limit).sent
        except Exception:  # a channel's failure never stops the others
            db.session.rollback()
            log.exception("channel %s failed", channel)
        finally:
            transport.close()
    return sent
