"""The demo's equipment: endpoints of every unit, their connectivity checks, and the bridges."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from models import Bridge, ConnectivityCheck, Endpoint, db

from . import text

BRIDGES = (("MCU Thành phố", 600), ("MCU khối quận, huyện", 320), ("MCU khối sở, ngành", 160),
           ("MCU dự phòng", 120))
CHUNK = 4000
USABLE = ("installed", "ready")


def extra_bridges(extra: int) -> list[str]:
    """The names of the bridges added when the demo is scaled up."""
    return [f"MCU mở rộng {i:02d}" for i in range(1, extra + 1)]


def ensure_bridges(extra: int = 0) -> dict[str, tuple[int, int]]:
    """The demo bridges by name as (id, capacity), created when missing; `extra` more of
    600 ports each for a scaled-up year."""
    wanted = list(BRIDGES) + [(name, 600) for name in extra_bridges(extra)]
    have = {b.name: b for b in db.session.scalars(select(Bridge))}
    missing = [{"name": n, "capacity": c, "created_at": datetime(2018, 12, 1, tzinfo=UTC)}
               for n, c in wanted if n not in have]
    if missing:
        db.session.execute(insert(Bridge.__table__), missing)
        have = {b.name: b for b in db.session.scalars(select(Bridge))}
    return {name: (have[name].id, have[name].capacity) for name, _ in wanted}


def _status(rng: random.Random, level: str, first: bool) -> str:
    if level != "commune" and first:
        return "ready" if rng.random() < 0.8 else "installed"
    return rng.choices(("ready", "installed", "planned", "faulty", "retired"),
                       (74, 19, 2, 3, 2) if first else (75, 17, 2, 5, 1))[0]


def _plan_endpoints(rng: random.Random, unit: dict, year: int, extra: int) -> list[dict]:
    level, slug = unit["level"], text.slug(unit)
    count = {"city": 2, "district": 1 + (rng.random() < 0.5),
             "department": 1 + (rng.random() < 0.3), "commune": 1 + (rng.random() < 0.1)}[level]
    kinds = ["software" if level == "commune" and rng.random() < 0.15 else "room_system"]
    kinds += ["room_system" if level == "city" else "software"] * (count - 1)
    created = datetime(year - 1, rng.randint(3, 12), rng.randint(1, 28), 9, tzinfo=UTC)
    rows = []
    for n, kind in enumerate(kinds):
        status = _status(rng, level, n == 0)
        rows.append(text.endpoint_row(unit, slug, n, kind, status, created))
        if status == "retired":  # its replacement
            rows.append(text.endpoint_row(unit, slug, n + 5, "room_system", "ready", created))
    for n in range(extra):  # a scaled-up year needs as many more rooms as meetings
        rows.append(text.endpoint_row(unit, slug, 10 + n, "software", "ready", created))
    return rows


def _check(rng: random.Random, at: datetime, passed: bool) -> dict:
    audio = passed or rng.random() < 0.5
    return {"checked_at": at, "checked_by_id": None, "passed": passed,
            "audio_ok": audio, "video_ok": passed or not audio,
            "bandwidth_kbps": rng.randint(1024, 8192) if passed else rng.randint(0, 512),
            "note": None if passed else rng.choice(text.CHECK_FAILURES)}


def _plan_checks(rng: random.Random, status: str, year: int,
                 now: datetime) -> list[dict]:
    """Checks through the year and recent ones, ending with the state the status implies."""
    if status == "planned":
        return []
    checks = []
    for month in range(1, 13, 2):
        at = datetime(year, month, rng.randint(1, 28), rng.randint(1, 9), rng.choice((0, 30)),
                      tzinfo=UTC)
        checks.append(_check(rng, at, rng.random() < 0.95))
    if status == "retired":
        checks[-1] = _check(rng, checks[-1]["checked_at"], False)
        return checks
    # Today's dashboard: most fresh and passing, some stale, some failing.
    fate = "failed" if status == "faulty" else rng.choices(("fresh", "stale", "failed"), (90, 5, 5))[0]
    last_age = timedelta(days=rng.uniform(40, 150) if fate == "stale" else rng.uniform(0.2, 25))
    ages = sorted((last_age + timedelta(days=rng.uniform(10, 120)) for _ in range(rng.randint(0, 2))),
                  reverse=True)
    for age in ages:
        checks.append(_check(rng, now - age, True))
    checks.append(_check(rng, now - last_age, fate != "failed"))
    return checks


def ensure_endpoints(rng: random.Random, units: list[dict], year: int, now: datetime,
                     extra: int = 0) -> tuple[dict[int, list[int]], dict[str, int]]:
    """Endpoints for every unit that has none (`extra` more software clients each for a
    scaled-up year), with their checks.

    Answers each unit's usable endpoint ids (room systems first) and the counts made.
    """
    have = set(db.session.scalars(select(Endpoint.unit_id).distinct()))
    planned = [row for unit in units if unit["id"] not in have
               for row in _plan_endpoints(rng, unit, year, extra)]
    checks_made = 0
    for i in range(0, len(planned), CHUNK):
        chunk = planned[i:i + CHUNK]
        checks_of = []
        for row in chunk:
            checks = _plan_checks(rng, row["status"], year, now)
            if checks:  # the endpoint mirrors its newest check, as log_check keeps it
                newest = max(checks, key=lambda r: r["checked_at"])
                row.update(last_check_at=newest["checked_at"], last_check_passed=newest["passed"])
            checks_of.append(checks)
        table = Endpoint.__table__
        ids = db.session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                 chunk).scalars().all()
        rows = [dict(check, endpoint_id=endpoint_id)
                for endpoint_id, checks in zip(ids, checks_of) for check in checks]
        for j in range(0, len(rows), CHUNK):
            db.session.execute(insert(ConnectivityCheck.__table__), rows[j:j + CHUNK])
        checks_made += len(rows)
    usable: dict[int, list[int]] = {}
    found = db.session.execute(select(Endpoint.unit_id, Endpoint.id, Endpoint.kind)
                               .where(Endpoint.status.in_(USABLE)))
    # Room systems first: a unit joins from its meeting room when the room is free.
    for unit_id, endpoint_id, _kind in sorted(found, key=lambda r: (r[0], r[2] != "room_system",
                                                                    r[1])):
        usable.setdefault(unit_id, []).append(endpoint_id)
    return usable, {"endpoints": len(planned), "checks": checks_made}
