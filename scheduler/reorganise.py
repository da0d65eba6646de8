"""Moving what still lives on dissolved units to their successors: a plan first, then one write.

`flask units import --dataset 2025` dissolves the legacy units and links each to its successors,
but nothing moves with them. `plan_reorganisation` reads, without writing, what would move from
each dissolved unit to which successor:

- its endpoints, its users, its live feed tokens (subscribed calendars keep working and now show
  the successor's meetings) and its contact addresses;
- its invitations to meetings that have not started (with their endpoint bookings and unsent
  reminders), and the meetings it organises that have not started;
- the follow-up tasks not yet done that it leads or supports (#16: the successor carries on the
  work; done tasks stay with the dissolved unit, as the follow-up report counted them).

What has happened stays with the dissolved unit as history: past invitations and outcomes,
meetings that started before `now`, revoked feed tokens, frozen reports (never re-keyed).

A commune split across several new ones needs a choice. The package names no seats, so the
default is the successor that bears the old commune's name (where the seat usually stays),
else the successor with the lowest code; the office may pick another. A dissolved unit with no
successor (a district: there are none after the reform) that still holds something is listed as
unresolved and keeps it.

`apply_reorganisation` recomputes the plan inside one write transaction, applies it with a
handful of set-based UPDATEs, audits one row per moved unit, bumps the revision of every meeting
whose invitations changed (the feeds' caches follow) and tells each successor of the meetings it
newly joins (the notices' outbox); where the moved endpoints change how an upcoming online
meeting is joined (its organiser's dial-in addresses), its invitees are told the new addresses
(`scheduler.joining.organisers_moved`). Run again, it finds nothing to move and changes nothing.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select, update

from models import audit
from models.base import db
from models.calendar_feeds import dial_addresses
from models.database import write_transaction
from models.endpoints import Endpoint
from models.errors import N_, ValidationFailed
from models.followup import Task, TaskSupporter
from models.meetings import EndpointBooking, Invitation, Meeting
from models.notifications import FeedToken, Reminder
from models.text import search_key
from models.units import Unit, unit_successions
from models.users import User

from .joining import online_organisers, organisers_moved


@dataclass
class UnitMove:
    """What moves from one dissolved unit, and to which successor (None: no successor)."""

    unit: Unit
    to: Unit | None
    endpoints: int = 0
    users: int = 0
    feed_tokens: int = 0
    contacts: list[str] = field(default_factory=list)
    invitations: int = 0  # to meetings not yet started
    organised: int = 0  # meetings not yet started that it organises
    past_invitations: int = 0  # history: stays
    past_organised: int = 0  # history: stays
    tasks: int = 0  # follow-up tasks not done that it leads or supports (done ones stay)

    @property
    def holds_anything(self) -> bool:
        return bool(self.endpoints or self.users or self.feed_tokens or self.contacts
                    or self.invitations or self.organised or self.tasks)


@dataclass
class SplitChoice:
    """A unit that went into several successors: which one takes what it holds."""

    unit: Unit
    options: list[Unit]
    default: Unit
    chosen: Unit


@dataclass
class Plan:
    dataset: str
    now: datetime
    moves: list[UnitMove]  # dissolved units holding something, with a successor
    unresolved: list[UnitMove]  # dissolved units holding something, with no successor
    splits: list[SplitChoice]  # every split unit that holds something

    @property
    def empty(self) -> bool:
        return not self.moves

    def totals(self) -> dict[str, int]:
        keys = ("endpoints", "users", "feed_tokens", "invitations", "organised",
                "past_invitations", "past_organised", "tasks")
        out = {k: sum(getattr(m, k) for m in self.moves) for k in keys}
        out["contacts"] = sum(len(m.contacts) for m in self.moves)
        out["units"] = len(self.moves)
        return out

    def as_dict(self) -> dict:
        def row(m: UnitMove) -> dict:
            return {"unit": m.unit.ref, "name": m.unit.name, "to": m.to.ref if m.to else None,
                    "to_name": m.to.name if m.to else None, "endpoints": m.endpoints, "users": m.users,
                    "feed_tokens": m.feed_tokens, "contacts": m.contacts, "invitations": m.invitations,
                    "organised": m.organised, "past_invitations": m.past_invitations,
                    "past_organised": m.past_organised, "tasks": m.tasks}
        return {"dataset": self.dataset, "now": self.now.isoformat(), "totals": self.totals(),
                "moves": [row(m) for m in self.moves], "unresolved": [row(m) for m in self.unresolved],
                "splits": [{"unit": s.unit.ref, "name": s.unit.name, "default": s.default.ref,
                            "chosen": s.chosen.ref, "options": [{"unit": o.ref, "name": o.name} for o in s.options]}
                           for s in self.splits]}


def default_successor(unit: Unit, options: list[Unit]) -> Unit:
    """The successor bearing the old unit's name, else the one with the lowest code."""
    same_name = [o for o in options if search_key(o.name) == search_key(unit.name)]
    return min(same_name or options, key=lambda o: (o.code, o.id))


def _counts(stmt) -> dict[int, int]:
    return {k: v for k, v in db.session.execute(stmt).all()}


def _successors(dataset: str) -> dict[int, list[Unit]]:
    rows = db.session.execute(
        select(unit_successions.c.predecessor_id, Unit)
        .join(Unit, Unit.id == unit_successions.c.successor_id)
        .where(Unit.dataset == dataset)).all()
    out: dict[int, list[Unit]] = defaultdict(list)
    for predecessor_id, successor in rows:
        out[predecessor_id].append(successor)
    return out


def plan_reorganisation(dataset: str, now: datetime, choices: Mapping[int, int] | None = None) -> Plan:
    """What would move from every dissolved unit to its successor in `dataset`; writes nothing.

    choices: {dissolved unit id: successor unit id} for split units (others take the default).
    A choice that names a unit which is not one of the unit's successors is refused.
    """
    choices = dict(choices or {})
    successors = _successors(dataset)
    dissolved = {u.id: u for u in db.session.scalars(
        select(Unit).where(Unit.dissolved_on.is_not(None)).order_by(Unit.code))}
    ids = list(dissolved)
    def name(unit_id: int) -> str:
        unit = db.session.get(Unit, unit_id)
        return unit.ref if unit is not None else str(unit_id)

    not_split = {k for k in choices if len(successors.get(k, ())) < 2}
    bad = {name(k): [N_("Not a dissolved unit that was split.")] for k in not_split}
    bad |= {name(k): [N_("Not one of the unit's successors.")] for k, v in choices.items()
            if k not in not_split and v not in {s.id for s in successors[k]}}
    if bad:
        raise ValidationFailed(bad)
    upcoming = Meeting.start_at >= now
    endpoints = _counts(select(Endpoint.unit_id, func.count()).where(Endpoint.unit_id.in_(ids))
                        .group_by(Endpoint.unit_id)) if ids else {}
    users = _counts(select(User.unit_id, func.count()).where(User.unit_id.in_(ids))
                    .group_by(User.unit_id)) if ids else {}
    tokens = _counts(select(FeedToken.unit_id, func.count()).where(
        FeedToken.unit_id.in_(ids), FeedToken.revoked_at.is_(None)).group_by(FeedToken.unit_id)) if ids else {}

    def invitations(when):
        return _counts(select(Invitation.unit_id, func.count()).join(Meeting).where(
            Invitation.unit_id.in_(ids), when).group_by(Invitation.unit_id)) if ids else {}

    def organised(when):
        return _counts(select(Meeting.organizer_id, func.count()).where(
            Meeting.organizer_id.in_(ids), when).group_by(Meeting.organizer_id)) if ids else {}

    led = _counts(select(Task.lead_unit_id, func.count()).where(
        Task.lead_unit_id.in_(ids), Task.status != "done").group_by(Task.lead_unit_id)) if ids else {}
    supported = _counts(select(TaskSupporter.unit_id, func.count()).join(Task).where(
        TaskSupporter.unit_id.in_(ids), Task.status != "done").group_by(TaskSupporter.unit_id)) if ids else {}
    scheduled = Meeting.status == "scheduled"
    inv_up, inv_past = invitations(upcoming & scheduled), invitations(~(upcoming & scheduled))
    org_up, org_past = organised(upcoming & scheduled), organised(~(upcoming & scheduled))
    moves, unresolved, splits = [], [], []
    for unit_id, unit in dissolved.items():
        options = sorted(successors.get(unit_id, []), key=lambda o: (o.code, o.id))
        to = None
        if options:
            default = default_successor(unit, options)
            to = next((o for o in options if o.id == choices.get(unit_id)), default)
        move = UnitMove(unit, to, endpoints.get(unit_id, 0), users.get(unit_id, 0), tokens.get(unit_id, 0),
                        _lines(unit.contact_emails), inv_up.get(unit_id, 0), org_up.get(unit_id, 0),
                        inv_past.get(unit_id, 0), org_past.get(unit_id, 0),
                        led.get(unit_id, 0) + supported.get(unit_id, 0))
        if not move.holds_anything:
            continue
        if to is None:
            unresolved.append(move)
            continue
        moves.append(move)
        if len(options) > 1:
            splits.append(SplitChoice(unit, options, default, to))
    return Plan(dataset, now, moves, unresolved, splits)


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def apply_reorganisation(dataset: str, now: datetime, actor: User | None,
                         choices: Mapping[int, int] | None = None) -> Plan:
    """Apply the plan in one transaction (audited); returns the plan that was applied.

    actor: an administrator, or None for the command line (audited with no actor).
    """
    from scheduler.notices import record_notices

    if actor is not None and actor.role != "admin":
        from models.errors import Forbidden
        raise Forbidden(N_("Only administrators reorganise the units."))
    with write_transaction():
        plan = plan_reorganisation(dataset, now, choices)
        involved = {m.unit.id for m in plan.moves} | {m.to.id for m in plan.moves}
        organisers = online_organisers(involved, now)  # how their invitees join, before
        dials = dial_addresses(involved)
        touched: set[int] = set()
        added: dict[int, set[int]] = defaultdict(set)  # meeting id -> successors newly invited
        for move in plan.moves:
            old, new = move.unit.id, move.to.id
            db.session.execute(update(Endpoint).where(Endpoint.unit_id == old).values(unit_id=new))
            db.session.execute(update(User).where(User.unit_id == old).values(unit_id=new))
            db.session.execute(update(FeedToken).where(FeedToken.unit_id == old, FeedToken.revoked_at.is_(None))
                               .values(unit_id=new))
            if move.contacts:
                mine = _lines(move.to.contact_emails)
                move.to.contact_emails = "\n".join(mine + [c for c in move.contacts if c not in mine])
                move.unit.contact_emails = None
            upcoming = select(Meeting.id).where(Meeting.start_at >= now, Meeting.status == "scheduled")
            mine_up = set(db.session.scalars(select(Invitation.meeting_id).where(
                Invitation.unit_id == old, Invitation.meeting_id.in_(upcoming))))
            both = set(db.session.scalars(select(Invitation.meeting_id).where(
                Invitation.unit_id == new, Invitation.meeting_id.in_(mine_up))))
            only = mine_up - both
            for chunk in _chunks(sorted(both)):  # the successor is invited already: drop the old row
                db.session.execute(delete(Reminder).where(Reminder.unit_id == old, Reminder.meeting_id.in_(chunk),
                                                          Reminder.sent_at.is_(None)))
                db.session.execute(delete(EndpointBooking).where(EndpointBooking.unit_id == old,
                                                                 EndpointBooking.meeting_id.in_(chunk)))
                db.session.execute(delete(Invitation).where(Invitation.unit_id == old,
                                                            Invitation.meeting_id.in_(chunk)))
            for chunk in _chunks(sorted(only)):
                db.session.execute(update(Invitation).where(Invitation.unit_id == old,
                                                            Invitation.meeting_id.in_(chunk)).values(unit_id=new))
                db.session.execute(update(EndpointBooking).where(EndpointBooking.unit_id == old,
                                                                 EndpointBooking.meeting_id.in_(chunk))
                                   .values(unit_id=new))
                db.session.execute(update(Reminder).where(Reminder.unit_id == old, Reminder.meeting_id.in_(chunk),
                                                          Reminder.sent_at.is_(None)).values(unit_id=new))
            for meeting_id in only:
                added[meeting_id].add(new)
            touched |= mine_up
            organised = set(db.session.scalars(upcoming.where(Meeting.organizer_id == old)))
            for chunk in _chunks(sorted(organised)):
                db.session.execute(update(Meeting).where(Meeting.id.in_(chunk)).values(organizer_id=new))
            touched |= organised
            _move_open_tasks(old, new, now)
            audit.record(actor, "reorganise", "unit", old, before={"unit": move.unit.ref},
                         after={"to": move.to.ref, "endpoints": move.endpoints, "users": move.users,
                                "feed_tokens": move.feed_tokens, "contacts": len(move.contacts),
                                "invitations": move.invitations, "organised": move.organised,
                                "tasks": move.tasks})
        for chunk in _chunks(sorted(touched)):
            db.session.execute(update(Meeting).where(Meeting.id.in_(chunk))
                               .values(revision=Meeting.revision + 1, updated_at=now))
        db.session.flush()
        db.session.expire_all()
        if added:
            meetings = db.session.scalars(select(Meeting).where(Meeting.id.in_(list(added)))
                                          .order_by(Meeting.start_at)).all()
            before = {m.id: {inv.unit_id for inv in m.invitations} - added[m.id] for m in meetings}
            record_notices(None, meetings=meetings, change="changed", before_units=before)
        organisers_moved(organisers, dials, now)  # a successor's endpoints: new dial-in addresses
    return plan


def _move_open_tasks(old: int, new: int, now: datetime) -> None:
    """Follow-up tasks not done pass to the successor, as lead or as supporter (a successor that
    already leads or supports a task keeps its one place); done tasks stay as history."""
    open_tasks = select(Task.id).where(Task.status != "done")
    db.session.execute(update(Task).where(Task.lead_unit_id == old, Task.id.in_(open_tasks))
                       .values(lead_unit_id=new, updated_at=now))
    db.session.execute(delete(TaskSupporter).where(  # a successor now leading what it supported
        TaskSupporter.unit_id == new, TaskSupporter.task_id.in_(open_tasks.where(Task.lead_unit_id == new))))
    supported = set(db.session.scalars(select(TaskSupporter.task_id).where(
        TaskSupporter.unit_id == old, TaskSupporter.task_id.in_(open_tasks))))
    placed = set(db.session.scalars(select(TaskSupporter.task_id).where(
        TaskSupporter.unit_id == new, TaskSupporter.task_id.in_(supported))))
    placed |= set(db.session.scalars(select(Task.id).where(Task.id.in_(supported), Task.lead_unit_id == new)))
    for chunk in _chunks(sorted(placed)):
        db.session.execute(delete(TaskSupporter).where(TaskSupporter.unit_id == old,
                                                       TaskSupporter.task_id.in_(chunk)))
    for chunk in _chunks(sorted(supported - placed)):
        db.session.execute(update(TaskSupporter).where(TaskSupporter.unit_id == old,
                                                       TaskSupporter.task_id.in_(chunk)).values(unit_id=new))


def _chunks(ids: list[int], size: int = 900):
    for i in range(0, len(ids), size):
        yield ids[i:i + size]
