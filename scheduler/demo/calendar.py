"""The demo year's calendar: working days, half-hour slots, and who is busy when.

The demo generator books thousands of sessions without the booking verbs, so it keeps its own
busy calendar: one 16-bit mask per endpoint and day (08:00-12:00 and 13:00-17:00 local, in
half-hour slots) and per-slot port counts per bridge. Whatever it places therefore satisfies
the booking rules: no endpoint in two overlapping sessions, no bridge over its capacity.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from models.base import LOCAL

SLOT = timedelta(minutes=30)
SLOTS_PER_HALF = 8  # four hours
SLOTS_PER_DAY = 2 * SLOTS_PER_HALF
HALF_STARTS = (time(8, 0), time(13, 0))

# Public holidays Vietnam observed in 2019 (Tết 4-8 Feb, Hùng Kings on 15 Apr, 29 Apr-1 May,
# National Day 2 Sep); other years keep the fixed-date ones.
HOLIDAYS_2019 = {date(2019, 1, 1), *(date(2019, 2, d) for d in range(4, 9)), date(2019, 4, 15),
                 date(2019, 4, 29), date(2019, 4, 30), date(2019, 5, 1), date(2019, 9, 2)}


def holidays(year: int) -> set[date]:
    """The public holidays of a year on which no meeting is held."""
    if year == 2019:
        return HOLIDAYS_2019
    return {date(year, 1, 1), date(year, 4, 30), date(year, 5, 1), date(year, 9, 2)}


def working_days(year: int) -> list[date]:
    """Monday to Friday of the year, holidays left out."""
    off = holidays(year)
    day, out = date(year, 1, 1), []
    while day.year == year:
        if day.weekday() < 5 and day not in off:
            out.append(day)
        day += timedelta(days=1)
    return out


def slot_start(day: date, slot: int) -> datetime:
    """The UTC instant at which a half-hour slot of a local working day begins."""
    half, offset = divmod(slot, SLOTS_PER_HALF)
    local = datetime.combine(day, HALF_STARTS[half], tzinfo=LOCAL) + offset * SLOT
    return local.astimezone(UTC)


def fits(slot: int, length: int) -> bool:
    """The session stays inside one half-day (no meeting runs through lunch)."""
    return length >= 1 and slot // SLOTS_PER_HALF == (slot + length - 1) // SLOTS_PER_HALF


class BusyCalendar:
    """Endpoint masks and bridge port counts over the year, and the placement of sessions."""

    def __init__(self, capacities: dict[int, int]):
        self.capacities = capacities
        self.endpoints: dict[tuple[int, date], int] = defaultdict(int)
        self.ports: dict[tuple[int, date], list[int]] = {}

    def mark_existing(self, endpoint_id: int, start: datetime, end: datetime) -> None:
        """Mark an endpoint busy over an already booked session (rounded outward to slots)."""
        day = start.astimezone(LOCAL).date()
        while day <= end.astimezone(LOCAL).date():
            self.endpoints[(endpoint_id, day)] |= self._mask_between(day, start, end)
            day += timedelta(days=1)

    def add_existing_ports(self, bridge_id: int, start: datetime, end: datetime, ports: int) -> None:
        """Count the ports an already booked session holds on a bridge."""
        day = start.astimezone(LOCAL).date()
        while day <= end.astimezone(LOCAL).date():
            mask = self._mask_between(day, start, end)
            used = self.ports.setdefault((bridge_id, day), [0] * SLOTS_PER_DAY)
            for s in range(SLOTS_PER_DAY):
                if mask >> s & 1:
                    used[s] += ports
            day += timedelta(days=1)

    @staticmethod
    def _mask_between(day: date, start: datetime, end: datetime) -> int:
        """The slots of a local day that [start, end) overlaps."""
        first = slot_start(day, 0)
        mask = 0
        for s in range(SLOTS_PER_DAY):
            a = first + (s * SLOT if s < SLOTS_PER_HALF else s * SLOT + timedelta(hours=1))
            if a < end and start < a + SLOT:
                mask |= 1 << s
        return mask

    def place(self, day: date, slot: int, length: int, units: list[list[int]],
              bridges: list[int]) -> tuple[list[tuple[int, int]], int] | None:
        """Book one free endpoint of every unit that has one, and ports on the first bridge
        with room; None when an endpoint is busy or no bridge has the ports.

        `units` lists each unit's usable endpoint ids in order of preference (unit index i);
        the answer is [(unit index, endpoint id)] and the bridge id.
        """
        mask = ((1 << length) - 1) << slot
        chosen: list[tuple[int, int]] = []
        cal = self.endpoints
        for i, endpoint_ids in enumerate(units):
            if not endpoint_ids:
                continue
            for eid in endpoint_ids:
                if not cal.get((eid, day), 0) & mask:
                    chosen.append((i, eid))
                    break
            else:
                return None
        need = len(chosen)
        for bridge_id in bridges:
            used = self.ports.get((bridge_id, day))
            peak = max(used[slot:slot + length]) if used else 0
            if peak + need <= self.capacities[bridge_id]:
                break
        else:
            return None
        for _i, eid in chosen:
            cal[(eid, day)] |= mask
        used = self.ports.setdefault((bridge_id, day), [0] * SLOTS_PER_DAY)
        for s in range(slot, slot + length):
            used[s] += need
        return chosen, bridge_id
