"""Changing and cancelling meetings: this occurrence, this and the following ones, or all."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from models import Bridge, EndpointBooking, Invitation, Meeting, Series, Unit, User, audit, db
from models.base import LOCAL
from models.database import write_transaction
from models.errors import N_, Conflict, Forbidden, Msg, StateConflict, ValidationFailed
from models.meetings import REASON_MAX
from models.permissions import can_organize_for
from models.text import has_visible, nfc

from .booking import (
    AUDIT_FIELDS,
    UNNAMED_CLASH,
    _conflict,
    bulk_insert,
    check_plan,
    conflicts_after_refusal,
    insert_bookings,
    make_plan,
    new_uid,
)
from .clashes import lock_bridge
from .participants import resolve_participants
from .recurrence import expand, parse_rrule, until_before
from .signals import meetings_saved
from .validation import MAX_DURATION, clean_fields, resolve_bridge

SCOPES = ("this", "following", "all")
VISIBLE = ("title", "description", "location", "category", "mode", "start_at", "end_at",
           "bridge_id")


def rows_in_scope(meeting: Meeting, scope: str, now: datetime) -> list[Meeting]:
    """The occurrences a change applies to: upcoming, still scheduled ones."""
    if scope not in SCOPES:
        raise ValidationFailed({"scope": Msg(N_("Must be one of: %(values)s."), values=", ".join(SCOPES))})
    if meeting.series_id is None or scope == "this":
        return [meeting]
    stmt = select(Meeting).where(Meeting.series_id == meeting.series_id,
                                 Meeting.status == "scheduled", Meeting.start_at > now)
    if scope == "following":
        stmt = stmt.where(Meeting.recurrence_id >= meeting.recurrence_id)
    return list(db.session.scalars(stmt.order_by(Meeting.recurrence_id)))


def _check_editable(meeting: Meeting, actor: User, now: datetime) -> None:
    if not can_organize_for(actor, meeting.organizer):
        raise Forbidden(N_("Only the organiser's office may change this meeting."))
    if meeting.status != "scheduled":
        raise StateConflict({"status": N_("A held meeting cannot be changed.") if meeting.status == "held"
                               else N_("A cancelled meeting cannot be changed.")})
    if meeting.start_at <= now:
        raise StateConflict({"start": N_("The meeting has already started.")})


def change_meeting(meeting: Meeting, data: dict[str, Any], actor: User, now: datetime,
                   scope: str = "this", max_age_days: int = 30) -> list[Meeting]:
    """Change fields, time, participants or bridge; re-checks clashes; bumps the revision.

    A time change on a series scope keeps the weekday: moving a series to another day is
    done by cancelling and booking anew (a single occurrence may move anywhere).
    """
    try:
        with write_transaction():  # validation reads inside the writer's transaction
            return _change(meeting, data, actor, now, scope, max_age_days)
    except IntegrityError as exc:
        raise Conflict(N_("The change clashes with a booking made at the same moment."),
                       {"conflicts": [UNNAMED_CLASH]}) from exc


def _change(meeting: Meeting, data: dict[str, Any], actor: User, now: datetime, scope: str,
            max_age_days: int) -> list[Meeting]:
    _check_editable(meeting, actor, now)
    errors: dict[str, Any] = {}
    values = clean_fields(data, partial=True, errors=errors)
    bridge = resolve_bridge(data["bridge"], errors) if data.get("bridge") is not None else None
    participants = None
    if "participants" in data:
        try:
            participants = resolve_participants(data["participants"] or [], meeting.organizer)
        except ValidationFailed as exc:
            errors.update(exc.details)
    start = values.get("start", meeting.start_at)
    end = values.get("end", meeting.end_at)
    # The meeting as it would be after the change is what must hold, not the patch body.
    if "end" not in errors and end <= start:
        errors["end"] = N_("The end must be after the start.")
    elif "end" not in errors and "start" not in errors and end - start > MAX_DURATION:
        errors["end"] = N_("A meeting lasts at most 24 hours.")
    if "start" in values and start < now:
        errors["start"] = N_("The new start is in the past.")
    if errors:
        raise ValidationFailed(errors)
    rows = rows_in_scope(meeting, scope, now)
    d_start, d_end = start - meeting.start_at, end - meeting.end_at
    moving_series = scope != "this" and meeting.series_id is not None and (d_start or d_end)
    if moving_series and start.astimezone(LOCAL).date() != meeting.start_at.astimezone(LOCAL).date():
        raise ValidationFailed({"start": N_("A series keeps its weekday: move one occurrence, "
                                            "or cancel the series and book it again.")})
    mode = values.get("mode", meeting.mode)
    if mode in ("online", "hybrid") and (bridge or meeting.bridge) is None:
        raise ValidationFailed({"bridge": N_("An online or hybrid meeting needs a bridge.")})
    _apply(Change(meeting, rows, values, bridge, participants, d_start, d_end, scope,
                  bool(moving_series)), actor, now, max_age_days)
    return rows


@dataclass(frozen=True)
class Change:
    """One validated change request: the rows in scope and what happens to them."""

    meeting: Meeting  # the occurrence the request names
    rows: list[Meeting]  # the occurrences in scope
    values: dict[str, Any]  # cleaned fields (title, description, location, category, mode, ...)
    bridge: Bridge | None  # a new bridge, or None to keep the one they have
    participants: list[Unit] | None  # the new participants, or None to keep them
    d_start: timedelta  # how far the start moves
    d_end: timedelta  # how far the end moves
    scope: str  # "this", "following" or "all"
    moving_series: bool  # a time change to several occurrences of a series


def _apply(change: Change, actor: User, now: datetime, max_age_days: int) -> None:
    meeting, rows, values = change.meeting, change.rows, change.values
    bridge, participants, d_start, d_end = change.bridge, change.participants, change.d_start, change.d_end
    befores = {m.id: audit.snapshot(m, AUDIT_FIELDS) for m in rows}
    before_units = {m.id: sorted(inv.unit.ref for inv in m.invitations) for m in rows}
    before_ids = {m.id: {inv.unit_id for inv in m.invitations} for m in rows}
    ids = [m.id for m in rows]
    # Their bookings go first, before the rows move (or change series): PostgreSQL's endpoint
    # holds then have nothing to carry from one series to another; they are booked anew below.
    db.session.execute(delete(EndpointBooking).where(EndpointBooking.meeting_id.in_(ids)))
    for m in rows:
        for key in ("title", "description", "location", "category", "mode"):
            if key in values:
                setattr(m, key, values[key])
        m.start_at, m.end_at = m.start_at + d_start, m.end_at + d_end
        if not timedelta(0) < m.end_at - m.start_at <= MAX_DURATION:
            raise ValidationFailed({"end": N_("A meeting lasts at most 24 hours.")})
        if bridge is not None:
            m.bridge_id = bridge.id
        if m.mode == "in_person":
            m.bridge_id = None
    if participants is not None:
        _set_participants(rows, participants)
    if change.moving_series:
        _move_series(meeting, rows, d_start, d_end, change.scope, now)
    units = participants if participants is not None else [inv.unit for inv in meeting.invitations]
    plan = make_plan({"mode": meeting.mode}, meeting.organizer, units, meeting.bridge,
                     [(m.start_at, m.end_at) for m in rows], now, max_age_days)
    if plan.bridge is not None and plan.online:
        lock_bridge(plan.bridge)
    conflicts = check_plan(plan, exclude=ids)
    if conflicts:
        raise _conflict(conflicts, len(rows))
    db.session.flush()
    try:
        with db.session.begin_nested():
            insert_bookings(Meeting.id.in_(ids), [e.id for e in plan.endpoints.values()])
    except IntegrityError as exc:
        # A concurrent booking won the race: name it (the winner has committed by now).
        raise _conflict(conflicts_after_refusal(plan, ids), len(rows)) from exc
    changed = []
    for m in rows:
        m.ports = len(plan.endpoints)
        after = audit.snapshot(m, AUDIT_FIELDS)
        units_after = sorted(inv.unit.ref for inv in m.invitations)
        visible = any(befores[m.id][k] != after[k] for k in VISIBLE) or \
            units_after != before_units[m.id]
        if visible:
            m.revision += 1
            m.updated_at = now
            changed.append(m)
            audit.record(actor, "update", "meeting", m.id,
                         before=befores[m.id] | {"participants": before_units[m.id]},
                         after=audit.snapshot(m, AUDIT_FIELDS) | {"participants": units_after})
    if changed:
        if meeting.series is not None:
            meeting.series.revision += 1
        meetings_saved.send(None, meetings=changed, change="changed", actor=actor,
                            times_changed=bool(d_start or d_end), before=befores, before_units=before_ids)


def _set_participants(rows: list[Meeting], participants) -> None:
    """Keep the answers of units still invited; add the new ones as pending."""
    wanted = {u.id for u in participants}
    for m in rows:
        have = {inv.unit_id: inv for inv in m.invitations}
        for unit_id, inv in have.items():
            if unit_id not in wanted:
                m.invitations.remove(inv)
        db.session.flush()
        new = [{"meeting_id": m.id, "unit_id": uid, "response": "pending",
                "confirmed_before_start": False} for uid in wanted - set(have)]
        bulk_insert(Invitation, new)
        db.session.expire(m, ["invitations"])


def _move_series(meeting: Meeting, rows: list[Meeting], d_start, d_end, scope, now) -> None:
    """Keep the series' rule true after a time change to several occurrences.

    When earlier occurrences stay as they were, the series is split: the old rule ends
    before the first moved occurrence and a new series (new UID) carries the rest.
    """
    series: Series = meeting.series
    first = rows[0]
    later = list(db.session.scalars(select(Meeting).where(
        Meeting.series_id == series.id, Meeting.recurrence_id >= first.recurrence_id)
        .order_by(Meeting.recurrence_id)))
    earlier_exists = db.session.scalar(select(Meeting.id).where(
        Meeting.series_id == series.id, Meeting.recurrence_id < first.recurrence_id).limit(1))
    moved_ids = {m.id for m in rows}
    duration = series.duration_minutes + int((d_end - d_start).total_seconds() // 60)
    if earlier_exists:
        parts = parse_rrule(series.rrule)
        parts.pop("UNTIL", None)
        parts["COUNT"] = str(len(later))
        order = ["FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "COUNT"]
        series.rrule = until_before(series.rrule, first.recurrence_id)
        target = Series(uid=new_uid(), rrule=";".join(f"{k}={parts[k]}" for k in order if k in parts),
                        dtstart_local=(first.recurrence_id + d_start).astimezone(LOCAL)
                        .replace(tzinfo=None), duration_minutes=duration, timezone=series.timezone,
                        revision=series.revision + 1, exdates=series.exdates)
        db.session.add(target)
        db.session.flush()
    else:
        target = series
        series.dtstart_local = (series.dtstart_local + d_start)
        series.duration_minutes = duration
    for m in later:
        m.series_id = target.id
        m.recurrence_id = m.recurrence_id + d_start
        if m.id not in moved_ids and m.status == "cancelled":
            m.start_at, m.end_at = m.start_at + d_start, m.end_at + d_end
    db.session.flush()
    skipped = set((target.exdates or "").split(","))
    expected = [s for s in expand(target.rrule, target.dtstart_local)
                if s.astimezone(LOCAL).date().isoformat() not in skipped]
    if [m.recurrence_id for m in later] != expected[:len(later)]:
        raise ValidationFailed({"scope": N_("This change cannot keep the series consistent; "
                                            "change the occurrences one at a time.")})



def clean_reason(reason: str | None, required: bool = False) -> str | None:
    """A cancellation's reason: NFC, at most REASON_MAX characters; one that shows nothing
    (spaces, format marks only) is refused, and so is none at all when `required`."""
    text = nfc(reason)
    if text and not has_visible(text):
        raise ValidationFailed({"reason": N_("The reason shows no visible characters.")})
    if not text:
        if required:
            raise ValidationFailed({"reason": N_("Give the reason for cancelling.")})
        return None
    if len(text) > REASON_MAX:
        raise ValidationFailed({"reason": N_("The reason is too long.")})
    return text


@dataclass(frozen=True)
class CancelPreview:
    """What cancelling would do: the occurrences in scope and how many units are told."""

    scope: str
    rows: list[Meeting]
    units: int  # distinct invited units told of the cancellation
    whole_series: bool  # every upcoming occurrence of the series

    @property
    def count(self) -> int:
        return len(self.rows)


def preview_cancel(meeting: Meeting, actor: User, now: datetime, scope: str = "this") -> CancelPreview:
    """What `cancel_meeting` with this scope would cancel (the confirmation page states it)."""
    _check_editable(meeting, actor, now)
    scope = scope if meeting.series_id is not None else "this"
    rows = rows_in_scope(meeting, scope, now)
    ids = [m.id for m in rows]
    units = db.session.scalar(select(func.count(func.distinct(Invitation.unit_id)))
                              .where(Invitation.meeting_id.in_(ids))) if ids else 0
    return CancelPreview(scope, rows, units or 0, scope == "all" and meeting.series_id is not None)


def cancel_meeting(meeting: Meeting, actor: User, now: datetime, scope: str = "this",
                   reason: str | None = None, require_reason: bool = False) -> list[Meeting]:
    """Cancel one occurrence, this and the following ones, or the whole series (the reason is
    told to the invited units and kept in the audit rows, with the ids cancelled together, so
    the cancellation can be undone by `restore_meeting`)."""
    reason = clean_reason(reason, required=require_reason)
    with write_transaction():
        _check_editable(meeting, actor, now)
        rows = rows_in_scope(meeting, scope, now)
        together = [m.id for m in rows]
        for m in rows:
            before = audit.snapshot(m, AUDIT_FIELDS)
            m.status = "cancelled"
            m.cancel_reason = reason
            m.revision += 1
            m.updated_at = now
            audit.record(actor, "cancel", "meeting", m.id, before=before,
                         after=audit.snapshot(m, AUDIT_FIELDS) | {"reason": reason,
                                                                  "cancelled_with": together})
        db.session.execute(update(EndpointBooking).where(
            EndpointBooking.meeting_id.in_([m.id for m in rows])).values(active=False))
        if meeting.series is not None:
            meeting.series.revision += 1
        meetings_saved.send(None, meetings=rows, change="cancelled", actor=actor,
                            times_changed=False, reason=reason)
    return rows


# --- undoing a cancellation ----------------------------------------------------------------

def last_cancellation(meeting: Meeting) -> audit.AuditLog | None:
    """The audit row of the cancel verb that cancelled this meeting, if that is the last thing
    that happened to its status (not restored or given an outcome since)."""
    if meeting.status != "cancelled":
        return None
    row = db.session.scalar(select(audit.AuditLog).where(
        audit.AuditLog.entity_type == "meeting", audit.AuditLog.entity_id == meeting.id,
        audit.AuditLog.action.in_(("cancel", "restore", "outcome")))
        .order_by(audit.AuditLog.id.desc()).limit(1))
    return row if row is not None and row.action == "cancel" else None


def restorable(meeting: Meeting, now: datetime) -> list[Meeting]:
    """The meetings an undo of this meeting's cancellation brings back: those cancelled in the
    same act that are still cancelled and have not started. An undo is possible until the
    meeting starts (there is no other time limit); occurrences already started stay cancelled."""
    row = last_cancellation(meeting)
    if row is None or meeting.start_at <= now:
        return []
    ids = (row.after or {}).get("cancelled_with") or [meeting.id]
    rows = []
    for chunk in range(0, len(ids), 900):
        rows += db.session.scalars(select(Meeting).where(
            Meeting.id.in_(ids[chunk:chunk + 900]), Meeting.status == "cancelled", Meeting.start_at > now)).all()
    return sorted((m for m in rows if m.id == meeting.id or last_cancellation(m) is not None),
                  key=lambda m: m.start_at)


def restore_meeting(meeting: Meeting, actor: User, now: datetime, max_age_days: int = 30) -> list[Meeting]:
    """Undo a cancellation: the meetings cancelled together come back with their endpoints
    booked again, by the booking's own check (make_plan, check_plan under the bridge lock).
    Refused with the clashes (409) when something took their slot meanwhile; the units that were
    told of the cancellation are told the meeting is back (a "restored" notice, iTIP REQUEST)."""
    try:
        with write_transaction():
            if not can_organize_for(actor, meeting.organizer):
                raise Forbidden(N_("Only the organiser's office may change this meeting."))
            rows = restorable(meeting, now)
            if not rows:
                raise StateConflict({"status": N_("This cancellation can no longer be undone.")},
                                       N_("This cancellation can no longer be undone."))
            ids = [m.id for m in rows]
            units = [inv.unit for inv in meeting.invitations]
            plan = make_plan({"mode": meeting.mode}, meeting.organizer, units, meeting.bridge,
                             [(m.start_at, m.end_at) for m in rows], now, max_age_days)
            if plan.bridge is not None and plan.online:
                lock_bridge(plan.bridge)
            conflicts = check_plan(plan, exclude=ids)
            if conflicts:
                raise _undo_conflict(conflicts)
            db.session.execute(delete(EndpointBooking).where(EndpointBooking.meeting_id.in_(ids)))
            befores = {m.id: audit.snapshot(m, AUDIT_FIELDS) for m in rows}
            for m in rows:
                m.status = "scheduled"
                m.cancel_reason = None
                m.revision += 1
                m.updated_at = now
                m.ports = len(plan.endpoints)
            db.session.flush()
            try:
                with db.session.begin_nested():
                    insert_bookings(Meeting.id.in_(ids), [e.id for e in plan.endpoints.values()])
            except IntegrityError as exc:
                raise _undo_conflict(conflicts_after_refusal(plan, ids)) from exc
            for m in rows:
                audit.record(actor, "restore", "meeting", m.id, before=befores[m.id],
                             after=audit.snapshot(m, AUDIT_FIELDS))
            if meeting.series is not None:
                meeting.series.revision += 1
            meetings_saved.send(None, meetings=rows, change="restored", actor=actor, times_changed=True)
            return rows
    except IntegrityError as exc:
        raise Conflict(N_("The cancellation cannot be undone: something took the slot meanwhile."),
                       {"conflicts": [UNNAMED_CLASH]}) from exc


def _undo_conflict(conflicts: list[dict]) -> Conflict:
    return Conflict(N_("The cancellation cannot be undone: something took the slot meanwhile."),
                    {"conflicts": conflicts})
