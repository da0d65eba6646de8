"""`flask demo generate`: a realistic past year of Hanoi's meetings, for demos and benchmarks.

Every online session is placed on a busy calendar (scheduler.demo.calendar) before it is
written, so the data keep the booking rules the database and the booking verbs enforce.
"""
from __future__ import annotations

import math
import random
import secrets
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, insert, select

from models import EndpointBooking, Meeting, Series, Unit, User, db, utcnow
from models.errors import DomainError
from models.units import find_unit

from . import text
from .calendar import (
    LOCAL,
    SLOT,
    SLOTS_PER_DAY,
    SLOTS_PER_HALF,
    BusyCalendar,
    fits,
    holidays,
    slot_start,
    working_days,
)
from .recent import current_dataset, demo_now, plan_recent
from .registry import ensure_bridges, ensure_endpoints, extra_bridges
from .writer import MeetingWriter, Planned

BASE_MEETINGS = 40_400  # at scale 1, enough for 150,000 invitations
WEEKS = 53  # every Monday of the year: a weekly rule meets 52 or 53 of them
CITY_BRIEFING = (0, 0, 5)  # Monday, 08:00, 2 h 30
BYDAY = ("MO", "TU", "WE", "TH", "FR")
# (weekday, slot) of a district's weekly briefing: an afternoon, so the city keeps mornings
# free for its conferences with every commune.
DISTRICT_SLOTS = [(d, s) for d in range(5) for s in (8, 9, 10, 11)]
# The city office (Văn phòng UBND Thành phố) books city-wide briefings: its staff's scope is
# the city itself, not the office's own department unit.
DEMO_ACCOUNTS = (
    ("demo.vanphong@giaoban.local", "organizer", ("legacy:01", "city")),
    ("demo.quan@giaoban.local", "organizer", ("legacy:001", "district")),
    ("demo.phuongphucxa@giaoban.local", "clerk", ("legacy:00001", "commune")),
    ("demo.lanhdao@giaoban.local", "viewer", ("legacy:01", "city")),
)


class DemoError(DomainError):
    """The demo year cannot be made on this database."""


def generate_demo(year: int, seed: int = 1, scale: float = 1.0, progress=None,
                  today: date | None = None, recent: bool = False) -> dict:
    """Fill a past year with meetings (scale times the realistic count), and with `recent` the
    present around `today` (scheduler.demo.recent; the CLI asks for it); answers the counts."""
    # progress(done, total) is called as the meetings are written.
    now = demo_now(today) if today else utcnow()
    today = today or now.astimezone(LOCAL).date()
    writer = MeetingWriter(random.Random(f"{seed}:{year}:outcomes"), now, progress,
                           round(BASE_MEETINGS * scale))
    counts = plan_demo(year, seed, scale, writer, now)
    writer.flush()
    if recent:
        counts["series"] += generate_recent(today, seed, scale, writer)
        writer.flush()
    db.session.commit()
    return counts | {k: v for k, v in writer.counts.items()}


def generate_recent(today: date, seed: int, scale: float, writer) -> int:
    """This year up to `today` with outcomes and the next four weeks booked, on the units in
    use today; answers the number of series."""
    rng = random.Random(f"{seed}:{today.isoformat()}:present")
    units = _load_units(today.year, current_dataset())
    extra = max(0, math.ceil(scale) - 1)
    bridges = ensure_bridges(extra)
    usable, _counts = ensure_endpoints(rng, units["all"], today.year, writer.now, extra)
    return plan_recent(DemoYear, _mark_booked, rng, units, usable, bridges, writer,
                       extra_bridges(extra), today, min(scale, 1.0))


def plan_demo(year: int, seed: int, scale: float, writer, now: datetime) -> dict:
    """Make the equipment and hand the year's placed meetings to `writer.add`; answers the
    counts of the equipment (the writer counts the meetings)."""
    if year >= now.astimezone(LOCAL).year:
        raise DemoError(f"The demo year must be over: {year} is not in the past.")
    if not 0 < scale <= 100:
        raise DemoError("The scale must be above 0 and at most 100.")
    rng = random.Random(f"{seed}:{year}")
    units = _load_units(year)
    extra = max(0, math.ceil(scale) - 1)  # K times the meetings need K times the rooms
    bridges = ensure_bridges(extra)
    usable, counts = ensure_endpoints(rng, units["all"], year, now, extra)
    calendar = BusyCalendar({bid: cap for bid, cap in bridges.values()})
    _mark_booked(calendar, year)
    weeks = WEEKS if scale >= 1 else max(4, round(WEEKS * scale))
    year_ = DemoYear(rng, year, calendar, usable, {n: bridge[0] for n, bridge in bridges.items()},
                     writer, extra_bridges(extra))
    series = year_.briefings(units, weeks)
    year_.free_meetings(units, max(0, round(BASE_MEETINGS * scale) - writer.added))
    return {"bridges": len(bridges), **counts, "series": series}


def _load_units(year: int, dataset: str | None = None) -> dict[str, list[dict]]:
    """The city and the units that existed in the year, as plain dicts by level."""
    dataset = dataset or ("legacy" if year < 2025 else "2025")
    year_end = date(year, 12, 31)
    rows = db.session.execute(select(
        Unit.id, Unit.dataset, Unit.code, Unit.level, Unit.name, Unit.division_type,
        Unit.parent_id, Unit.search_name, Unit.dissolved_on).order_by(Unit.level, Unit.code)).all()
    cities = [r for r in rows if r.level == "city"]
    if not cities:
        raise DemoError("No units yet: import the city's units first "
                        "(`flask setup`, or `flask units import --province 01`).")
    city = cities[0]._asdict()
    alive = [r._asdict() for r in rows if r.dissolved_on is None or r.dissolved_on > year_end]
    out = {"city": [city], "department": [u for u in alive if u["level"] == "department"
                                          and u["parent_id"] == city["id"]]}
    out["district"] = [u for u in alive if u["level"] == "district" and u["dataset"] == dataset
                       and u["parent_id"] == city["id"]]
    parents = {city["id"]} | {d["id"] for d in out["district"]}
    out["commune"] = [u for u in alive if u["level"] == "commune" and u["dataset"] == dataset
                      and u["parent_id"] in parents]
    if not out["commune"]:
        raise DemoError(f"No communes of {year} in the registry: import the "
                        f"{dataset} units first (`flask units import --dataset {dataset}`).")
    out["all"] = out["city"] + out["department"] + out["district"] + out["commune"]
    return out


def _mark_booked(calendar: BusyCalendar, year: int) -> None:
    """Put sessions already booked in the year on the calendar, so new ones avoid them."""
    start = datetime(year, 1, 1, tzinfo=LOCAL)
    end = datetime(year + 1, 1, 1, tzinfo=LOCAL)
    for eid, a, b in db.session.execute(select(
            EndpointBooking.endpoint_id, EndpointBooking.start_at, EndpointBooking.end_at).where(
            EndpointBooking.active.is_(True), EndpointBooking.start_at < end,
            EndpointBooking.end_at > start)):
        calendar.mark_existing(eid, a, b)
    for bid, a, b, ports in db.session.execute(select(
            Meeting.bridge_id, Meeting.start_at, Meeting.end_at, Meeting.ports).where(
            Meeting.bridge_id.is_not(None), Meeting.status != "cancelled",
            Meeting.start_at < end, Meeting.end_at > start)):
        if bid in calendar.capacities:
            calendar.add_existing_ports(bid, a, b, ports)


class DemoYear:
    """Places the year's meetings on the calendar and hands them to the writer."""

    def __init__(self, rng, year, calendar, usable, bridges, writer, spare_bridges):
        self.rng, self.year, self.calendar, self.usable = rng, year, calendar, usable
        self.bridges, self.writer, self.spare = bridges, writer, spare_bridges
        self.days = working_days(year)
        self.holidays = holidays(year)

    # -- the weekly briefings ---------------------------------------------------------------

    def briefings(self, units: dict, weeks: int) -> int:
        """The city's weekly briefing to everyone, and each district's to its communes."""
        city = units["city"][0]
        everyone = units["district"] + units["commune"] + units["department"]
        day, slot, length = CITY_BRIEFING
        self._series(city, everyone, day, slot, length, weeks, "online", "giao_ban",
                     text.city_briefing_title(bool(units["district"])), ["MCU Thành phố"], real_life=True)
        communes_of: dict[int, list[dict]] = {}
        for commune in units["commune"]:
            communes_of.setdefault(commune["parent_id"], []).append(commune)
        for district in units["district"]:
            day, slot = self.rng.choice(DISTRICT_SLOTS)
            mode = self.rng.choices(("online", "hybrid", "in_person"), (45, 25, 30))[0]
            self._series(district, communes_of.get(district["id"], []), day, slot,
                         self.rng.choice((3, 4)), weeks, mode, "giao_ban",
                         text.district_briefing_title(district),
                         ["MCU khối quận, huyện", "MCU dự phòng", "MCU Thành phố"])
        return 1 + len(units["district"])

    def _series(self, organizer, participants, weekday, slot, length, weeks, mode, category,
                title, bridges, real_life=False) -> None:
        """A weekly Series and its occurrences; those on holidays move or are cancelled."""
        first = date(self.year, 1, 1)
        first += timedelta(days=(weekday - first.weekday()) % 7)
        dates = [d for d in (first + timedelta(weeks=i) for i in range(weeks)) if d.year == self.year]
        recurrences = [slot_start(d, slot) for d in dates]
        created = datetime(self.year - 1, 12, self.rng.randint(10, 28), 2, tzinfo=UTC)
        local_start = slot_start(first, slot).astimezone(LOCAL).replace(tzinfo=None)
        series_id = db.session.execute(insert(Series.__table__).returning(Series.id), [{
            "uid": f"demo-series-{secrets.token_hex(8)}@giaoban",
            "rrule": f"FREQ=WEEKLY;BYDAY={BYDAY[weekday]};UNTIL={recurrences[-1]:%Y%m%dT%H%M%SZ}",
            "dtstart_local": local_start, "duration_minutes": length * 30,
            "timezone": "Asia/Ho_Chi_Minh", "revision": 0, "created_at": created}]).scalar_one()
        actual = [self._off_holiday(d) for d in dates]
        if real_life and len(dates) >= 3:  # as in real life: one cancelled, some moved
            if None not in actual:
                actual[len(dates) // 2] = None
            if not any(a not in (None, d) for a, d in zip(actual, dates)):
                actual[1] = self._off_holiday(dates[1] + timedelta(days=1)) or dates[1]
        for planned_day, day, recurrence in zip(dates, actual, recurrences):
            cancelled = day is None
            day = day or planned_day
            placed = self._place_on(day, [slot], length, organizer, participants, mode, bridges)
            start = slot_start(day, slot)
            self.writer.add(Planned(
                organizer, participants, category, placed[0] if placed else "in_person",
                start, start + length * SLOT, title, *(placed[1:] if placed else ([], None)),
                series_id=series_id, recurrence_id=recurrence,
                status="cancelled" if cancelled else "held",
                revision=1 if cancelled or start != recurrence else 0, created_at=created))

    def _off_holiday(self, day: date) -> date | None:
        """The working day an occurrence falls on: itself, the next working day that week, or
        None (cancelled) when the whole rest of the week is off."""
        while day in self.holidays:
            day += timedelta(days=1)
            if day.weekday() >= 5:
                return None
        return day

    # -- the other meetings -----------------------------------------------------------------

    def free_meetings(self, units: dict, count: int) -> None:
        """City, department and commune meetings, in that order, count in all."""
        city_n = round(count * 0.004)
        dept_n = round(count * 0.067) if units["department"] else 0
        plans = ((city_n, self._city_meeting), (dept_n, self._department_meeting),
                 (count - city_n - dept_n, self._commune_meeting))
        siblings: dict[int, list[dict]] = {}
        for commune in units["commune"]:
            siblings.setdefault(commune["parent_id"], []).append(commune)
        units = dict(units, siblings=siblings,
                     propensity={c["id"]: self.rng.uniform(0.28, 0.5) for c in units["commune"]})
        for n, make in plans:
            for _ in range(n):
                make(units)

    def _city_meeting(self, units: dict) -> None:
        rng, city = self.rng, units["city"][0]
        category = rng.choices(("trien_khai", "so_ket", "tong_ket", "tap_huan", "khac",
                                "giai_quyet_cong_viec"), (35, 20, 10, 25, 5, 5))[0]
        months = {"so_ket": (6, 7), "tong_ket": (12, 1)}.get(category)
        depts = units["department"]
        if category in ("trien_khai", "so_ket", "tong_ket", "tap_huan"):
            invited = units["district"] + rng.sample(depts, min(len(depts), rng.randint(5, 22)))
            if rng.random() < 0.3:
                invited += units["commune"]
        else:
            invited = rng.sample(depts, min(len(depts), rng.randint(3, 8)))
            invited += rng.sample(units["district"], min(len(units["district"]), rng.randint(0, 5)))
        mode = self._mode(0.88, 0.4)
        self._meeting(city, invited, category, mode, rng.randint(4, 6), 25,
                      ["MCU Thành phố", "MCU dự phòng"], months, half=0)

    def _department_meeting(self, units: dict) -> None:
        rng = self.rng
        dept = rng.choice(units["department"])
        category = rng.choices(("trien_khai", "tap_huan", "giai_quyet_cong_viec", "giao_ban",
                                "so_ket", "tong_ket"), (30, 20, 35, 10, 3, 2))[0]
        districts, kind = units["district"], rng.random()
        others = [d for d in units["department"] if d["id"] != dept["id"]]
        if kind < 0.4 and districts:
            invited = rng.sample(districts, min(len(districts), rng.randint(3, 12)))
        elif kind < 0.65 and districts:
            invited = [c for d in rng.sample(districts, min(len(districts), rng.randint(1, 3)))
                       for c in units["siblings"].get(d["id"], [])]
        elif kind < 0.85 or not districts:
            invited = rng.sample(others, min(len(others), rng.randint(2, 6)))
        else:
            invited = rng.sample(districts, min(len(districts), rng.randint(2, 5)))
            invited += rng.sample(others, min(len(others), rng.randint(1, 3)))
        self._meeting(dept, invited, category, self._mode(0.42, 0.35), rng.randint(2, 6), 10,
                      ["MCU khối sở, ngành", "MCU dự phòng", "MCU khối quận, huyện"])

    def _commune_meeting(self, units: dict) -> None:
        rng = self.rng
        commune = rng.choice(units["commune"])
        category = rng.choices(("giao_ban", "giai_quyet_cong_viec", "trien_khai", "tap_huan",
                                "so_ket", "tong_ket", "khac"), (35, 30, 15, 7, 5, 3, 5))[0]
        n = rng.choices((0, 1, 2, 3), (30, 30, 25, 15))[0]
        pool = [c for c in units["siblings"].get(commune["parent_id"], []) if c["id"] != commune["id"]]
        invited = rng.sample(pool, min(n, len(pool)))
        district = next((d for d in units["district"] if d["id"] == commune["parent_id"]), None)
        if invited and district and rng.random() < 0.25:
            invited[0] = district
        online = invited and rng.random() < units["propensity"][commune["id"]]
        mode = ("hybrid" if rng.random() < 0.3 else "online") if online else "in_person"
        self._meeting(commune, invited, category, mode, rng.randint(2, 4), 6,
                      ["MCU khối quận, huyện", "MCU dự phòng", "MCU khối sở, ngành"])

    def _mode(self, online_share: float, hybrid_share: float) -> str:
        if self.rng.random() >= online_share:
            return "in_person"
        return "hybrid" if self.rng.random() < hybrid_share else "online"

    def _meeting(self, organizer, invited, category, mode, length, tries, bridges,
                 months=None, half=None) -> None:
        """Place a meeting on a free slot (several tries), else hold it in person."""
        rng = self.rng
        days = [d for d in self.days if d.month in months] if months else self.days
        slots = [s for s in range(SLOTS_PER_DAY)
                 if fits(s, length) and half in (None, s // SLOTS_PER_HALF)]
        first = (rng.choice(days), rng.choice(slots))
        placed = None
        if mode != "in_person" and self.usable.get(organizer["id"]):
            for attempt in range(tries):
                day, slot = first if attempt == 0 else (rng.choice(days), rng.choice(slots))
                placed = self._place_on(day, [slot], length, organizer, invited, mode, bridges)
                if placed:
                    first = (day, slot)
                    break
        start = slot_start(*first)
        self.writer.add(Planned(
            organizer, invited, category, placed[0] if placed else "in_person", start,
            start + length * SLOT, text.meeting_title(rng, category, organizer),
            *(placed[1:] if placed else ([], None))))

    def _place_on(self, day, slots, length, organizer, participants, mode, bridges):
        """(mode, bookings, bridge id) when every endpoint and the ports are free, else None."""
        if mode == "in_person":
            return None
        members = [organizer] + participants
        endpoint_lists = [self.usable.get(u["id"], []) for u in members]
        for slot in slots:
            got = self.calendar.place(day, slot, length, endpoint_lists,
                                      [self.bridges[b] for b in bridges + self.spare])
            if got:
                chosen, bridge_id = got
                return mode, [(members[i]["id"], eid) for i, eid in chosen], bridge_id
        return None


def create_demo_accounts() -> list[tuple[User, str]]:
    """The demo's accounts that are missing, each with its generated password (shown once)."""
    made = []
    for email, role, (ref, *level) in DEMO_ACCOUNTS:
        if db.session.scalar(select(func.count(User.id)).where(User.email == email)):
            continue
        unit = find_unit(ref)
        if unit is None and level:
            unit = db.session.scalar(select(Unit).where(Unit.level == level[0],
                                                        Unit.dissolved_on.is_(None)).order_by(Unit.code))
        if unit is None:
            continue
        password = secrets.token_urlsafe(12)
        user = User(email=email, role=role, unit=unit, name=text.person(random.Random(email)))
        user.set_password(password)
        db.session.add(user)
        made.append((user, password))
    db.session.commit()
    return made
