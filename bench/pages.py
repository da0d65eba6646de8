"""The pages a person opens, one request at a time in-process: time, SQL statements, bytes.

Run: .venv/bin/python -m bench.pages [--engine postgresql|sqlite] [--database URL]
         [--repeat 5] [--profile DIR] [--pages NAME,...]

Without --database it makes a database of the engine (bench.common.database), fills it with
Hanoi's units, the demo year 2019 and the demo's present around today (`generate_demo(2019,
recent=True, today=...)`: this year's meetings up to today with outcomes and the next four weeks
booked), so a ward really has a year of invitations around now, and drops it afterwards. With
--database URL it uses (and, when empty, fills) that database and keeps it.

Each page is requested through Flask's test client by the person who opens it (an admin, the
clerk of Phường Phúc Xá) with the real clock: one warm-up request, then `--repeat` timed ones;
it prints, for a reader's first open in the minute (the page cache emptied before each) and
for opening it again, the median and min wall milliseconds, the median CPU milliseconds of this
process (the app's share, steadier than wall time on a shared machine), the SQL statements of
one request, and the bytes.
`--profile DIR` writes a pyinstrument text profile of one more request per page into DIR.
"""
from __future__ import annotations

import argparse
import re
import statistics
import time
from contextlib import contextmanager, nullcontext
from datetime import date
from pathlib import Path

from sqlalchemy import event, func, select

PASSWORD = "correct horse battery"
CLERK_UNIT = "legacy:00001"  # Phường Phúc Xá, invited to every city-wide briefing


def prepare(url: str) -> None:
    """Units, the demo year and the present, two accounts; ANALYZE on PostgreSQL."""
    from bench.common import make_app
    from models import Meeting, User, db
    from models.base import LOCAL, utcnow
    from models.units import find_unit
    from scheduler.demo import generate_demo

    app = make_app(url)
    with app.app_context():
        if not db.session.scalar(select(func.count(Meeting.id))):
            today = utcnow().astimezone(LOCAL).date()
            t0 = time.perf_counter()
            counts = generate_demo(2019, seed=1, scale=1, today=today, recent=True)
            print(f"demo year 2019 and the present to {today}: {counts.get('meetings')} meetings, "
                  f"{counts.get('invitations')} invitations in {time.perf_counter() - t0:.0f} s", flush=True)
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql("ANALYZE")
        for email, role, unit in (("adm@pages.local", "admin", None),
                                  ("clerk@pages.local", "clerk", find_unit(CLERK_UNIT))):
            if not db.session.scalar(select(User).where(User.email == email)):
                user = User(email=email, role=role, unit=unit)
                user.set_password(PASSWORD)
                db.session.add(user)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def big_meeting(app) -> int:
    """The meeting with the most invitees (556 in the demo) starting nearest to now."""
    from models import Invitation, Meeting, db
    from models.base import utcnow

    with app.app_context():
        counts = (select(Invitation.meeting_id, func.count().label("n"))
                  .group_by(Invitation.meeting_id).subquery())
        top = db.session.scalar(select(func.max(counts.c.n)))
        now = utcnow()
        return db.session.scalar(
            select(Meeting.id).join(counts, counts.c.meeting_id == Meeting.id)
            .where(counts.c.n == top, Meeting.start_at >= now).order_by(Meeting.start_at).limit(1)
        ) or db.session.scalar(select(counts.c.meeting_id).where(counts.c.n == top).limit(1))


def pages(meeting_id: int, today: date) -> list[tuple[str, str, str]]:
    """(name, who, path) of every page measured."""
    monday = today.isoformat()
    return [
        ("/healthz (floor)", "anonymous", "/healthz"),
        ("home / (admin)", "admin", "/"),
        ("home / (clerk)", "clerk", "/"),
        ("clerk home /my-unit", "clerk", "/my-unit"),
        ("meetings list (admin)", "admin", "/meetings"),
        ("meetings list (clerk)", "clerk", "/meetings"),
        ("meeting page, 556 invitees (admin)", "admin", f"/meetings/{meeting_id}"),
        ("meeting page, 556 invitees (clerk)", "clerk", f"/meetings/{meeting_id}"),
        ("notices /notifications (clerk)", "clerk", "/notifications"),
        ("ward week calendar", "clerk", f"/units/{CLERK_UNIT}/calendar?date={monday}"),
        ("ward month calendar", "clerk", f"/units/{CLERK_UNIT}/calendar?view=month&date={monday}"),
        ("city month calendar (admin)", "admin", f"/units/legacy:01/calendar?view=month&date={monday}"),
        ("unit page (clerk)", "clerk", f"/units/{CLERK_UNIT}"),
        ("unit page, city (admin)", "admin", "/units/legacy:01"),
    ]


@contextmanager
def counting(engine):
    """Counts the SQL statements sent while inside."""
    seen = [0]

    def count(*_args):
        seen[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def measure(url: str, repeat: int, profile_dir: Path | None, only: set[str]) -> None:
    import logging

    from config import Config
    from models import db
    from models.base import LOCAL, utcnow
    from webapp import create_app
    try:
        from webapp import page_cache
    except ImportError:  # the tree before pages were kept: every open is a first one
        page_cache = type("NoCache", (), {"cache_clear": staticmethod(lambda: None)})

    app = create_app(Config, SQLALCHEMY_DATABASE_URI=url)
    logging.getLogger("giaoban.request").setLevel(logging.WARNING)  # one log line per request
    meeting_id = big_meeting(app)
    clients = {}
    for who in ("admin", "clerk"):
        client = app.test_client()  # signs in as a browser does: the form, its CSRF token, the post
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"',
                          client.get("/login").get_data(as_text=True)).group(1)
        r = client.post("/login", data={"email": f"{'adm' if who == 'admin' else 'clerk'}@pages.local",
                                        "password": PASSWORD, "csrf_token": token})
        assert r.status_code in (302, 303), r.status_code
        clients[who] = client
    clients["anonymous"] = app.test_client()
    print("| page | status | first open: ms (min), CPU ms | statements | again: ms (min), CPU ms | statements "
          "| bytes |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    with app.app_context():
        engine = db.engine
    for name, who, path in pages(meeting_id, utcnow().astimezone(LOCAL).date()):
        if only and not any(o in name for o in only) and who != "anonymous":
            continue
        client = clients[who]
        client.get(path)  # warm-up: templates compiled, figures of this data version kept
        cells = []
        for first_open in (True, False):  # a reader's first open in the minute, then again
            times, cpu = [], []
            for _ in range(repeat):
                if first_open:
                    page_cache.cache_clear()
                t0, c0 = time.perf_counter(), time.process_time()
                r = client.get(path)
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
            if first_open:
                page_cache.cache_clear()
            with counting(engine) as seen:
                r = client.get(path)
            cells.append(f"{statistics.median(times):.1f} ({min(times):.1f}), "
                         f"{statistics.median(cpu):.1f} | {seen[0]}")
        if profile_dir is not None:
            from pyinstrument import Profiler
            page_cache.cache_clear()
            profiler = Profiler(interval=0.0005)
            with profiler:
                client.get(path)
            slug = "".join(c if c.isalnum() else "_" for c in name).strip("_")
            (profile_dir / f"{slug}.txt").write_text(
                f"{name}: GET {path}\n\n" + profiler.output_text(unicode=True, show_all=False))
        print(f"| {name} `{path}` | {r.status_code} | {cells[0]} | {cells[1]} | {len(r.data):,} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", default="postgresql", choices=("postgresql", "sqlite"))
    parser.add_argument("--database", help="use (and keep) this database URL")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", type=Path, help="write a pyinstrument profile per page here")
    parser.add_argument("--pages", default="", help="comma-separated parts of page names")
    args = parser.parse_args()
    from bench.common import database

    only = {p.strip() for p in args.pages.split(",") if p.strip()}
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    with (nullcontext(args.database) if args.database else database(args.engine)) as url:
        prepare(url)
        measure(url, args.repeat, args.profile, only)


if __name__ == "__main__":
    main()
