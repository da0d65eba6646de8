"""Writing the demo's meetings in bulk: outcomes, answers, connections and bookings."""
from __future__ import annotations

import random
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy import text as text_sql

from models import EndpointBooking, Invitation, Meeting, Notice, db
from models.database import insert_many

from . import text

FLUSH_EVERY = 2000
CHUNK = 5000


@dataclass
class Planned:
    """A meeting placed on the calendar, before its outcome is decided."""

    organizer: dict
    participants: list[dict]
    category: str
    mode: str
    start: datetime
    end: datetime
    title: str
    bookings: list[tuple[int, int]] = field(default_factory=list)  # (unit id, endpoint id)
    bridge_id: int | None = None
    series_id: int | None = None
    recurrence_id: datetime | None = None
    status: str | None = None  # decided here unless given
    revision: int | None = None
    created_at: datetime | None = None
    description: str | None = None


def reserve_ids(table, n: int) -> list[int]:
    """Ids for n new rows: drawn from the sequence on PostgreSQL; on SQLite the ones after the
    largest (the open write transaction holds the database's lock)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return list(db.session.scalars(
            text_sql("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
            {"t": table.name, "n": n}))
    top = db.session.scalar(select(func.coalesce(func.max(table.c.id), 0)))
    return list(range(top + 1, top + n + 1))


class MeetingWriter:
    """Buffers planned meetings and inserts them with their invitations and bookings."""

    def __init__(self, rng: random.Random, now: datetime, progress=None, total: int = 0):
        self.rng, self.now, self.progress, self.total = rng, now, progress, total
        self.run = secrets.token_hex(4)  # keeps uids unique when the demo is made twice
        self.buffer: list[Planned] = []
        self.counts: Counter = Counter()
        self.serial = self.added = 0
        self.counts["meetings"] = self.counts["invitations"] = self.counts["bookings"] = 0
        self.counts["notices"] = 0
        self._told: set[tuple[int, int]] = set()  # (series, unit): one invitation notice a series

    def add(self, planned: Planned) -> None:
        self.added += 1
        self.buffer.append(planned)
        if len(self.buffer) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        """Insert what is buffered: meetings first, then the rows that point at them."""
        if not self.buffer:
            return
        ids = reserve_ids(Meeting.__table__, len(self.buffer))
        meetings = [self._meeting_row(p) | {"id": meeting_id} for p, meeting_id in zip(self.buffer, ids)]
        for i in range(0, len(meetings), CHUNK):
            db.session.execute(insert(Meeting.__table__), meetings[i:i + CHUNK])
        invitations, bookings = [], []
        for meeting_id, planned, row in zip(ids, self.buffer, meetings):
            booked = {unit_id for unit_id, _ in planned.bookings}
            invitations += [self._invitation(meeting_id, row, unit, unit["id"] in booked)
                            for unit in planned.participants]
            active = row["status"] != "cancelled"
            bookings += [{"meeting_id": meeting_id, "endpoint_id": eid, "unit_id": unit_id,
                          "start_at": row["start_at"], "end_at": row["end_at"], "active": active}
                         for unit_id, eid in planned.bookings]
        notices = self._notices(meetings, invitations)
        insert_many(EndpointBooking.__table__, bookings)  # PostgreSQL: the holds' trigger runs per page
        for rows, model in ((invitations, Invitation), (notices, Notice)):
            for i in range(0, len(rows), CHUNK):
                db.session.execute(insert(model.__table__), rows[i:i + CHUNK])
        self.counts["notices"] += len(notices)
        self.counts["meetings"] += len(ids)
        self.counts["invitations"] += len(invitations)
        self.counts["bookings"] += len(bookings)
        self.buffer = []
        if self.progress:
            self.progress(self.counts["meetings"], self.total)

    def _meeting_row(self, p: Planned) -> dict:
        rng = self.rng
        self.serial += 1
        online = p.mode != "in_person"
        if p.status:
            status = p.status
        elif p.end > self.now:  # not over yet: booked, a few called off
            status = rng.choices(("scheduled", "cancelled"), (97, 3))[0]
        else:
            status = rng.choices(("held", "cancelled", "scheduled"), (96, 3, 1))[0]
        # booked before now, even when it starts within the hour
        created = min(p.created_at or p.start - timedelta(days=rng.uniform(2, 21)),
                      self.now - timedelta(hours=1))
        revision = p.revision if p.revision is not None else rng.choices((0, 1, 2), (75, 18, 7))[0]
        outcome_mode = outcome_at = None
        updated = created
        if status == "held":
            outcome_mode = p.mode
            if online and rng.random() < 0.05:
                outcome_mode = "in_person"  # the line failed on the day
            elif p.mode == "hybrid" and rng.random() < 0.04:
                outcome_mode = "online"
            outcome_at = min(p.end + timedelta(hours=rng.uniform(0.5, 48)), self.now)
            updated = outcome_at
        elif status == "cancelled":
            revision = max(revision, 1)
            updated = min(max(created, p.start - timedelta(days=rng.uniform(0.2, 2))), self.now)
        self.counts[status] += 1
        self.counts["online" if online else "in_person"] += 1
        self.counts["series_occurrences"] += p.series_id is not None
        return {"uid": f"demo-{self.run}-{self.serial:07d}@giaoban",
                "title": p.title, "description": p.description or text.description(p.mode), "category": p.category,
                "organizer_id": p.organizer["id"], "mode": p.mode, "start_at": p.start,
                "end_at": p.end, "location": text.location(p.organizer, online),
                "bridge_id": p.bridge_id if online else None,
                "ports": len(p.bookings) if online else 0, "status": status,
                "revision": revision, "series_id": p.series_id, "recurrence_id": p.recurrence_id,
                "outcome_mode": outcome_mode, "outcome_at": outcome_at, "outcome_by_id": None,
                "cancel_reason": rng.choice(text.CANCEL_REASONS) if status == "cancelled" else None,
                "recorded_after": False, "created_by_id": None, "created_at": created,
                "updated_at": updated}

    def _notices(self, meetings: list[dict], invitations: list[dict]) -> list[dict]:
        """What the invited units of upcoming meetings were told (in-app only: the demo sends no
        e-mail): the invitation (one per series), read once the unit answered, and the
        cancellation with its reason."""
        by_id = {m["id"]: m for m in meetings}
        rows = []
        for inv in invitations:
            m = by_id[inv["meeting_id"]]
            if m["start_at"] <= self.now:
                continue
            key = (m["series_id"], inv["unit_id"])
            if m["series_id"] is None or key not in self._told:
                self._told.add(key)
                rows.append({"unit_id": inv["unit_id"], "meeting_id": m["id"], "series_id": None,
                             "kind": "booked", "method": "REQUEST", "changes": None, "reason": None,
                             "occurrences": 1, "created_at": m["created_at"], "read_at": inv["responded_at"]})
            if m["status"] == "cancelled":
                rows.append({"unit_id": inv["unit_id"], "meeting_id": m["id"], "series_id": None,
                             "kind": "cancelled", "method": "CANCEL", "changes": None,
                             "reason": m["cancel_reason"], "occurrences": 1, "created_at": m["updated_at"],
                             "read_at": None})
        return rows

    def _invitation(self, meeting_id: int, meeting: dict, unit: dict, booked: bool) -> dict:
        rng = self.rng
        start, created = meeting["start_at"], meeting["created_at"]
        upcoming = start > self.now  # half the units have answered so far
        response = rng.choices(("confirmed", "declined", "pending"),
                               (45, 5, 50) if upcoming else (80, 5, 15))[0]
        row = {"meeting_id": meeting_id, "unit_id": unit["id"], "response": response,
               "attendee_name": None, "attendee_title": None, "reason": None, "note": None,
               "responded_at": None, "responded_by_id": None, "confirmed_before_start": False,
               "connected": None}
        if response != "pending":
            window = max((min(start - timedelta(hours=1), self.now) - created).total_seconds(), 60)
            row["responded_at"] = created + timedelta(seconds=rng.uniform(30, window))
        if response == "confirmed":
            row.update(attendee_name=text.person(rng), attendee_title=text.attendee_title(rng, unit),
                       confirmed_before_start=True)
        elif response == "declined":
            row["reason"] = rng.choice(text.DECLINE_REASONS)
        if meeting["status"] == "held" and meeting["outcome_mode"] in ("online", "hybrid"):
            chance = {"confirmed": 0.96, "pending": 0.5, "declined": 0.0}[response]
            row["connected"] = booked and rng.random() < chance
        return row
