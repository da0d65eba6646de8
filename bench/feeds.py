"""A unit's year feed on the demo database against Radicale serving the same events, and the 304
against /healthz on the same server, at scale 1 and 10, interleaved in one run.

    .venv/bin/python -m bench.feeds [--scales 1,10] [--rounds 3] [--seconds 8] [--clients 4]
        [--workers 2] [--unit legacy:00001] [--db 10=postgresql+psycopg://.../giaoban_demo10]
        [--radicale-scales 1] [--renders 2]
    (`.venv/bin/python bench/feeds.py ...` works too)

For each scale: a PostgreSQL database with Hanoi's units and `generate_demo(2019, seed=1,
scale=K)`, ANALYZEd (or an existing one given with `--db K=URL`, made the same way, which saves
the generation: ~2 min at 1×, ~15 min at 10×). The clock is set to BENCH_NOW (1 April 2019, so
the feed's window, 90 days back and 365 ahead, holds the whole demo year). Then:

- in process (Flask's test client): the first request (every cache cold), renders with the
  caches cleared, a warm 200, a 304 with the validators kept, and a 304 whose validators must be
  computed again (what the first poll after any write costs);
- over loopback: gunicorn (`--workers`, as `make serve` but with the clock) and, at the scales
  of `--radicale-scales` (1: uploading the 10x feed's objects takes over half an hour), Radicale
  3.9 (filesystem storage) holding the same events (uploaded by CalDAV, one object per UID), driven
  by wrk (`--clients` connections, a second process): /healthz, the feed (200), the feed with
  If-None-Match (304) and Radicale's GET of the calendar (at the other scales /healthz and the
  304 only: each worker's first 200 of the 10x feed renders it cold, minutes on this machine),
  every case of every scale once per round, rounds interleaved; medians.

Ports 5550-5553 (`--port` moves the first). Needs wrk (apt-get install wrk), Radicale and caldav
(requirements-test.txt).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a file: the project's packages come from its root
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("SECRET_KEY", "bench-only")

BENCH_NOW = "2019-04-01T12:00:00+00:00"


def prepare(url: str, scale: float, generate: bool, ref: str) -> tuple[str, int]:
    """The demo year in `url` (made when `generate`); the unit's feed path and meetings count."""
    from sqlalchemy import func, select

    from bench.common import make_app
    from config import Config
    from models import Meeting, db
    from models.feeds import feed_token_for_unit
    from models.units import find_unit
    from scheduler.demo import generate_demo
    from webapp import create_app

    app = make_app(url) if generate else create_app(Config, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        if generate:
            generate_demo(2019, seed=1, scale=scale)
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        total = db.session.scalar(select(func.count(Meeting.id)))
        path = f"/feeds/{feed_token_for_unit(find_unit(ref)).token}.ics"
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return path, total


def in_process(url: str, path: str, renders: int) -> dict:
    """Milliseconds of the feed through Flask's test client, the clock at BENCH_NOW."""
    import time_machine

    from bench.common import median, timed
    from config import Config
    from models.calendar_feeds import validators_clear
    from scheduler import ical
    from webapp import create_app

    app = create_app(Config, SQLALCHEMY_DATABASE_URI=url)
    logging.getLogger("giaoban").setLevel(logging.WARNING)  # no request log lines here
    with time_machine.travel(datetime.fromisoformat(BENCH_NOW), tick=True):
        client = app.test_client()
        ical.cache_clear()
        cold = timed(lambda: client.get(path), 1)[0]
        first = client.get(path)
        assert first.status_code == 200, first.status_code
        etag = first.headers["ETag"]
        cleared = timed(lambda: client.get(path), renders, setup=ical.cache_clear)
        warm = timed(lambda: client.get(path), 30)
        kept = timed(lambda: client.get(path, headers={"If-None-Match": etag}), 50)
        again = timed(lambda: client.get(path, headers={"If-None-Match": etag}), 20,
                      setup=validators_clear)
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    with app.app_context():
        from models import db
        db.engine.dispose()
    return {"body": first.data, "etag": etag, "cold": cold, "cleared": median(cleared),
            "warm": median(warm), "304 kept": median(kept), "304 computed": median(again)}


def wait_for(port: int) -> None:
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port}")


def wrk(port: int, path: str, headers: dict, seconds: float, clients: int) -> dict:
    """wrk's figures for GET `path` (a C load generator in a second process on loopback)."""
    command = ["wrk", "-t1", f"-c{clients}", f"-d{max(int(seconds), 1)}s", "--timeout", "60s",
               "-s", str(ROOT / "bench" / "wrk_report.lua")]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(command + [f"http://127.0.0.1:{port}{path}"], capture_output=True,
                         text=True, check=True).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    if figures["errors"] or figures["non_2xx"]:
        raise SystemExit(f"wrk saw errors on {path}: {figures}")
    return figures


def radicale_upload(url: str, data: bytes) -> tuple[str, int]:
    """PUT the feed's events (one object per UID) into a new calendar; its path and objects."""
    import caldav
    from icalendar import Calendar

    cal = Calendar.from_ical(data)
    objects: dict[str, Calendar] = {}
    for event in cal.walk("VEVENT"):
        obj = objects.setdefault(str(event["UID"]), Calendar())
        if not obj.subcomponents:
            obj.add("version", "2.0")
            obj.add("prodid", str(cal["PRODID"]))
            for tz in cal.walk("VTIMEZONE"):
                obj.add_component(tz)
        obj.add_component(event)
    client = caldav.DAVClient(url=url, username="bench", password="x", enable_rfc6764=False,
                              require_tls=False)
    calendar = client.principal().make_calendar(name="Giao Ban")
    for obj in objects.values():
        calendar.add_event(obj.to_ical().decode("utf-8"), increase_seqno=False)
    return str(calendar.url.path), len(objects)


def start(stack: ExitStack, command: list[str], env: dict | None = None) -> None:
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # not piped: a full pipe blocks

    def stop():
        process.terminate()
        process.wait(timeout=20)
    stack.callback(stop)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10")
    parser.add_argument("--db", action="append", default=[],
                        help="SCALE=URL: an existing demo database for that scale")
    parser.add_argument("--unit", default="legacy:00001", help="whose feed (Phường Phúc Xá)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=5550)
    parser.add_argument("--radicale-scales", default="1",
                        help="scales at which Radicale serves the same events (uploading the 10x "
                             "feed's ~2,400 objects by CalDAV takes over 30 minutes)")
    parser.add_argument("--renders", type=int, default=2, help="renders with the caches cleared")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    from bench.common import database

    given = {float(k): v for k, v in (item.split("=", 1) for item in args.db)}
    scales = [float(s) for s in args.scales.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="giaoban-feeds-"))
    cases: dict[tuple[float, str], tuple[int, str, dict]] = {}
    inproc, sizes = {}, {}
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, tmp, True)
        for n, scale in enumerate(scales):
            url = given.get(scale) or stack.enter_context(database("postgresql"))
            path, total = prepare(url, scale, scale not in given, args.unit)
            inproc[scale] = measured = in_process(url, path, args.renders)
            body = measured["body"]
            events = body.count(b"BEGIN:VEVENT")
            assert events >= 100, f"the feed holds {events} events: not a year's"
            ours, theirs = args.port + 2 * n, args.port + 2 * n + 1
            env = {**os.environ, "DATABASE_URL": url, "BENCH_NOW": BENCH_NOW,
                   "SECRET_KEY": secrets.token_hex(16), "GIAOBAN_INSTANCE": str(tmp / f"i{n}")}
            start(stack, [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(args.workers),
                          "--bind", f"127.0.0.1:{ours}", "--log-level", "warning",
                          "bench.clock_app:app"], env)
            radicale = scale in {float(s) for s in args.radicale_scales.split(",") if s}
            if radicale:
                start(stack, [sys.executable, "-m", "radicale", "--server-hosts",
                              f"127.0.0.1:{theirs}", "--storage-filesystem-folder",
                              str(tmp / f"radicale{n}"), "--auth-type", "none",
                              "--rights-type", "owner_only", "--logging-level", "warning"])
                wait_for(theirs)
            wait_for(ours)
            etag = measured["etag"]  # the same config, clock and data: the same validators
            if radicale:  # a 200 from the server too (its first renders the feed cold)
                served = urllib.request.urlopen(f"http://127.0.0.1:{ours}{path}", timeout=600)
                body, etag = served.read(), served.headers["ETag"]
                assert body.count(b"BEGIN:VEVENT") == events, "the server's clock is not the bench's"
            rad_path, objects = (radicale_upload(f"http://127.0.0.1:{theirs}/", body) if radicale
                                 else (None, 0))
            sizes[scale] = (total, events, objects, len(body))
            cases[(scale, "/healthz (floor)")] = (ours, "/healthz", {})
            if radicale:  # elsewhere only the 304: a worker's first 200 at 10x renders for minutes
                cases[(scale, "feed, 200")] = (ours, path, {})
            cases[(scale, "feed, 304")] = (ours, path, {"If-None-Match": etag})
            if radicale:
                cases[(scale, "Radicale GET")] = (theirs, rad_path,
                                                  {"Authorization": "Basic YmVuY2g6eA=="})  # bench:x
        for port, path, headers in cases.values():  # warm every worker
            wrk(port, path, headers, 2, args.clients)
        runs: dict[tuple, list[dict]] = {key: [] for key in cases}
        for _ in range(args.rounds):
            for key, (port, path, headers) in cases.items():
                runs[key].append(wrk(port, path, headers, args.seconds, args.clients))
    print(f"PostgreSQL, clock at {BENCH_NOW}, feed of {args.unit}; gunicorn {args.workers} "
          f"workers; wrk {args.clients} connections, {args.seconds:g} s per case, "
          f"{args.rounds} rounds interleaved, medians\n")
    print("| scale | meetings | events | bytes | first (cold) ms | render, caches cleared ms | "
          "200 warm ms | 304 kept ms | 304 computed ms |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for scale in scales:
        total, events, objects, size = sizes[scale]
        m = inproc[scale]
        print(f"| {scale:g} | {total:,} | {events} | {size:,} | {m['cold']:.1f} | {m['cleared']:.1f} | "
              f"{m['warm']:.2f} | {m['304 kept']:.2f} | {m['304 computed']:.2f} |")
    print("\n| scale | case | req/s | p50 ms | p95 ms |\n| ---: | --- | ---: | ---: | ---: |")
    rate = {}
    for key, figures in runs.items():
        rate[key] = statistics.median(f["requests"] / f["seconds"] for f in figures)
        print(f"| {key[0]:g} | {key[1]} | {rate[key]:.1f} | "
              f"{statistics.median(f['p50_ms'] for f in figures):.2f} | "
              f"{statistics.median(f['p95_ms'] for f in figures):.2f} |")
    print()
    for scale in scales:
        theirs = rate.get((scale, "Radicale GET"))
        versus = (f"feed 200 / Radicale {rate[(scale, 'feed, 200')] / theirs:.1f}x (goal >= 20, "
                  f"{sizes[scale][2]} Radicale objects); " if theirs else "")
        print(f"scale {scale:g}: {versus}a 304 costs "
              f"{rate[(scale, '/healthz (floor)')] / rate[(scale, 'feed, 304')]:.2f}x /healthz "
              f"(goal <= 2)")


if __name__ == "__main__":
    main()
