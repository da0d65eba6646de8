"""Load: every page a person opens on a Monday morning, under many clients (issue #17).

Run:  .venv/bin/python -m bench.load                       # PostgreSQL, 4 workers, 50 connections
      .venv/bin/python -m bench.load --engine sqlite       # SQLite, 10 connections, + mixed check
      options: [--pages clerk,meetings] [--rounds 3] [--seconds 15] [--workers 4]
               [--connections N] [--port 5160] [--no-present] [--no-mixed] [--list]
               [--database URL]   # keep the filled database for the next run
Needs `wrk` (Debian: apt-get install wrk); PostgreSQL on 127.0.0.1 for `--engine postgresql`.

It makes a database of the engine (PostgreSQL: a scratch database; SQLite: a file with the
app's own default set-up, WAL, as `make run` makes it) with Hanoi's units and the demo as
`make demo` fills it (the year 2019 and the present around today), starts gunicorn as
`make serve` does, signs in an admin and the clerk of Phường Phúc Xá (a ward with a year of
invitations), then drives from wrk (a second process on loopback) the `/healthz` floor and every
page in the table; rounds interleave the pages and the figures are medians. Each row gives
requests/s and p95 as multiples of the floor measured in the same run, wrk's errors, the
responses >= 400, the largest worker's resident memory after the page, and whether the row
meets the issue's goals (>= 0.25x the floor's rate, p95 <= 4x the floor's, no error, RSS < 150 MB).

The feeds' window is widened to a year back (FEED_PAST_DAYS=365) so that a unit's feed holds the
present's year of events rather than a few weeks; the event count is printed.

On SQLite a second check follows (skip with --no-mixed): wrk reads pages while writers book and
edit through the API and another connection holds the write lock for seconds at a time, on a
server whose writes wait at most 1 s for the lock (DATABASE_LOCK_TIMEOUT=1). Reads must not fail
nor wait behind the writer (their p99 stays under the lock's hold); a write that waits too long
answers 503, never 500.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.common import database, make_app

ROOT = Path(__file__).resolve().parent.parent
WARD = "legacy:00001"      # Phường Phúc Xá: a ward with a year of invitations
DISTRICT = "legacy:001"    # Quận Ba Đình
#: the issue's goals, per row against the floor of the same run
MIN_RATE, MAX_P95, MAX_RSS_MB = 0.25, 4.0, 150


@dataclass
class Page:
    key: str
    name: str
    path: str
    who: str  # "admin", "clerk", "api" (bearer token) or "none"
    status: int = 200


def pages(data: dict) -> list[Page]:
    """The floor first, then every page and API read of the goal."""
    m = data["big_meeting"]
    return [
        Page("floor", "/healthz (floor)", "/healthz", "none"),
        Page("home", "home / (admin: redirect)", "/", "admin", 302),
        Page("clerk", "clerk home /my-unit", "/my-unit", "clerk"),
        Page("meetings", "meetings list /meetings", "/meetings", "admin"),
        Page("registry", "registry tree /units", "/units", "admin"),
        Page("communes", "a district's communes (tree)", f"/units/{DISTRICT}/communes", "admin"),
        Page("unit", "unit page (ward)", f"/units/{WARD}", "admin"),
        Page("week", "ward week calendar", f"/units/{WARD}/calendar?date=2019-03-04", "admin"),
        Page("month", "ward month calendar", f"/units/{WARD}/calendar?date=2019-03-04&view=month", "admin"),
        Page("meeting", f"meeting page ({data['big_invited']} invitees)", f"/meetings/{m}", "admin"),
        Page("report-month", "report page 2019-03", "/reports/online-ratio?period=2019-03", "admin"),
        Page("report-quarter", "report page 2019-Q1", "/reports/online-ratio?period=2019-Q1", "admin"),
        Page("report-year", "report page 2019", "/reports/online-ratio?period=2019", "admin"),
        Page("report-now", "report page (last month)", "/reports/online-ratio", "admin"),
        Page("readiness", "readiness /readiness", "/readiness", "admin"),
        Page("readiness-district", "readiness of a district", f"/readiness/districts/{DISTRICT}", "admin"),
        Page("not-ready", "communes not ready", "/readiness/not-ready", "admin"),
        Page("notices", "notices /notifications (clerk)", "/notifications", "clerk"),
        Page("feed-unit", f"ward feed .ics ({data['unit_events']} events)",
             f"/feeds/{data['unit_feed']}.ics", "none"),
        Page("feed-person", f"clerk's feed .ics ({data['person_events']} events)",
             f"/feeds/{data['person_feed']}.ics", "none"),
        Page("api-report", "API report JSON 2019-03", "/api/v1/reports/online-ratio?period=2019-03", "api"),
        Page("api-meeting", f"API meeting ({data['big_invited']} invitees)", f"/api/v1/meetings/{m}", "api"),
        Page("api-readiness", "API readiness", "/api/v1/readiness", "api"),
    ]


def prepare(url: str, present: bool) -> dict:
    """Fill the database: the demo (2019, and the present as `make demo` does), an admin and
    the ward's clerk, an API token, feed tokens; answers what the pages need. A database this
    made before (--database) keeps its demo; the accounts get a new password and token."""
    from sqlalchemy import func, select

    from models import Invitation, User, db
    from models.feeds import feed_token_for_unit, feed_token_for_user
    from models.units import find_unit
    from models.users import issue_api_token
    from scheduler.demo import generate_demo

    app = make_app(url)
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == "load@giaoban.local"))
        clerk = db.session.scalar(select(User).where(User.email == "clerk@giaoban.local"))
        if admin is None:
            started = time.perf_counter()
            generate_demo(2019, seed=1, scale=1, recent=present)
            db.session.commit()
            print(f"demo made in {time.perf_counter() - started:.0f} s", flush=True)
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql("ANALYZE")  # as autovacuum would by the time anyone reads
            admin = User(email="load@giaoban.local", role="admin")
            clerk = User(email="clerk@giaoban.local", role="clerk", unit=find_unit(WARD))
            db.session.add_all([admin, clerk])
        password = secrets.token_urlsafe(12)
        admin.set_password(password)
        clerk.set_password(password)
        db.session.commit()
        big, invited = db.session.execute(
            select(Invitation.meeting_id, func.count()).group_by(Invitation.meeting_id)
            .order_by(func.count().desc(), Invitation.meeting_id).limit(1)).one()
        data = {"password": password, "api": issue_api_token(admin, "load"),
                "unit_feed": feed_token_for_unit(find_unit(WARD)).token,
                "person_feed": feed_token_for_user(clerk).token,
                "big_meeting": big, "big_invited": invited}
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return data


def sign_in(base: str, password: str, email: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login").read().decode()
    csrf = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": csrf}).encode()
    opener.open(base + "/login", form)
    return "; ".join(f"{c.name}={c.value}" for c in jar)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(base: str, path: str, header: str | None) -> tuple[int, bytes]:
    """One GET without following redirects: (status, body)."""
    request = urllib.request.Request(base + path)
    if header:
        name, value = header.split(": ", 1)
        request.add_header(name, value)
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def worker_memory(master: int) -> list[int]:
    """Resident memory (MiB) of each gunicorn worker."""
    out = []
    for pid in subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        out.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) // 1024)
    return out


def worker_ticks(master: int) -> int:
    """CPU time (clock ticks) the gunicorn workers have used so far."""
    total = 0
    for pid in subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def settle(master: int, limit: float = 180) -> None:
    """Wait until the workers are idle: requests a wrk run left queued (its connections closed,
    the server still works them off) must not be counted in the next page's figures."""
    deadline = time.monotonic() + limit
    before = worker_ticks(master)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = worker_ticks(master)
        if now - before <= 2:  # at most 20 ms of CPU in half a second, all workers together
            return
        before = now


def wrk(url: str, header: str | None, connections: int, seconds: int, master: int, workers: int) -> dict:
    extra = ["-H", header] if header else []
    # warm-up: one request per worker at a time (each worker's caches and connections), no backlog
    subprocess.run(["wrk", "-t1", f"-c{workers}", "-d2s", "--timeout", "30s", *extra, url],
                   capture_output=True)
    settle(master)
    result = subprocess.run(
        ["wrk", "-t", str(min(2, connections)), f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
         "-s", str(ROOT / "bench/wrk_report.lua"), *extra, url],
        capture_output=True, text=True, check=True)
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    settle(master)
    return figures


class Server:
    """gunicorn as `make serve` runs it (its gunicorn.conf.py), on a database."""

    def __init__(self, url: str, workers: int, port: int, **env: str):
        self.instance = tempfile.mkdtemp(prefix="giaoban-load-")
        self.base = f"http://127.0.0.1:{port}"
        environ = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "load-" + url[-12:],
                   "GIAOBAN_INSTANCE": self.instance, "RATELIMIT_LOGIN": "1000 per minute",
                   "FEED_PAST_DAYS": "365", **env}
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(workers), "--bind",
             f"127.0.0.1:{port}", "--log-level", "warning", "webapp:create_app()"],
            # not piped: a full pipe would block the workers
            cwd=ROOT, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        sys.exit("gunicorn did not answer /healthz")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        shutil.rmtree(self.instance, ignore_errors=True)


def headers_for(base: str, data: dict) -> dict:
    return {"admin": "Cookie: " + sign_in(base, data["password"], "load@giaoban.local"),
            "clerk": "Cookie: " + sign_in(base, data["password"], "clerk@giaoban.local"),
            "api": f"Authorization: Bearer {data['api']}", "none": None}


def verdict(rate: float, p95: float, floor: tuple[float, float], errors: int, bad: int, rss: int) -> str:
    misses = []
    if rate < MIN_RATE * floor[0]:
        misses.append("rate")
    if p95 > MAX_P95 * floor[1]:
        misses.append("p95")
    if errors or bad:
        misses.append("errors")
    if rss >= MAX_RSS_MB:
        misses.append("RSS")
    return "pass" if not misses else "FAIL " + "+".join(misses)


def read_table(server: Server, targets: list[Page], hdrs: dict, args) -> bool:
    """Preflight every page, then wrk rounds over them; prints the table, answers all passed."""
    for page in targets:
        status, body = fetch(server.base, page.path, hdrs[page.who])
        note = f"{body.count(b'BEGIN:VEVENT')} events" if page.path.endswith(".ics") else ""
        print(f"  preflight {page.key}: {status} {len(body):,} bytes {note}".rstrip(), flush=True)
        if status != page.status:
            sys.exit(f"{page.key} answered {status}, expected {page.status}: nothing measured")
    runs: dict[str, list[dict]] = {p.key: [] for p in targets}
    rss: dict[str, int] = {p.key: 0 for p in targets}
    for round_ in range(args.rounds):
        for page in targets:
            runs[page.key].append(wrk(server.base + page.path, hdrs[page.who], args.connections,
                                      args.seconds, server.process.pid, args.workers))
            rss[page.key] = max([rss[page.key], *worker_memory(server.process.pid)])
            print(f"  round {round_ + 1} {page.key}: {json.dumps(runs[page.key][-1])}", flush=True)
    print()
    print("| page | req/s | × floor | p50 ms | p95 ms | p95 × floor | errors | ≥400 | RSS MiB | goal |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    floor = None
    passed = True
    for page in targets:
        figures = runs[page.key]
        rate = statistics.median(f["requests"] / f["seconds"] for f in figures)
        p50 = statistics.median(f["p50_ms"] for f in figures)
        p95 = statistics.median(f["p95_ms"] for f in figures)
        errors = sum(f["errors"] for f in figures)
        bad = sum(f["non_2xx"] for f in figures)
        if floor is None:
            floor = (rate, p95) if page.key == "floor" else (float("nan"), float("nan"))
        result = "floor" if page.key == "floor" else verdict(rate, p95, floor, errors, bad, rss[page.key])
        passed = passed and result in ("pass", "floor")
        print(f"| {page.name} | {rate:,.1f} | {rate / floor[0]:.3f} | {p50:,.0f} | {p95:,.0f} | "
              f"{p95 / floor[1]:.1f} | {errors} | {bad} | {rss[page.key]} | {result} |", flush=True)
    return passed


def hold_write_lock(path: str, hold: float, pause: float, stop: threading.Event, held: list) -> None:
    """Another connection takes SQLite's write lock (BEGIN IMMEDIATE) for `hold` s, again and again."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    while not stop.is_set():
        conn.execute("BEGIN IMMEDIATE")
        held.append(time.monotonic())
        stop.wait(hold)
        conn.execute("ROLLBACK")
        stop.wait(pause)
    conn.close()


def writer(base: str, token: str, n: int, stop: threading.Event, statuses: Counter, slow: list) -> None:
    """Book a meeting, then edit it, over and over through the API; counts the answers."""
    from models.base import LOCAL
    day = datetime(2027, 1, 4, 8, tzinfo=LOCAL) + timedelta(days=7 * n)
    i = 0
    while not stop.is_set():
        start = (day + timedelta(minutes=30 * (i % 16), days=i // 16)).astimezone(timezone.utc)
        i += 1
        body = {"title": f"Giao ban tải {n}-{i}", "category": "giao_ban", "organizer": DISTRICT,
                "mode": "in_person", "start": start.isoformat(),
                "end": (start + timedelta(minutes=20)).isoformat(), "participants": [WARD]}
        for method, path, payload in (("POST", "/api/v1/meetings", body),
                                      ("PATCH", None, {"title": f"Giao ban tải {n}-{i} (sửa)"})):
            if path is None:
                if "id" not in body:
                    break
                path = f"/api/v1/meetings/{body['id']}"
            request = urllib.request.Request(base + path, method=method, data=json.dumps(payload).encode(),
                                             headers={"Authorization": f"Bearer {token}",
                                                      "Content-Type": "application/json"})
            began = time.monotonic()
            try:
                with urllib.request.urlopen(request, timeout=60) as r:
                    status, answer = r.status, r.read()
            except urllib.error.HTTPError as exc:
                status, answer = exc.code, exc.read()
            except OSError:
                status, answer = "no answer", b""
            took = time.monotonic() - began
            statuses[f"{method} {status}"] += 1
            if status == 201:
                body["id"] = json.loads(answer)["id"]
            if status not in (200, 201):
                slow.append((method, status, round(took, 2), answer[:200]))


def mixed_check(url: str, data: dict, args) -> bool:
    """SQLite: reads under wrk while writers write and the write lock is held for seconds."""
    hold, pause = 3.0, 2.0
    print(f"\nSQLite mixed read/write: wrk reads for {args.seconds} s per page while 2 API writers "
          f"book and edit and another connection holds the write lock {hold:.0f} s in every "
          f"{hold + pause:.0f} s; the server's writes wait at most 1 s (DATABASE_LOCK_TIMEOUT=1)", flush=True)
    server = Server(url, args.workers, args.port, DATABASE_LOCK_TIMEOUT="1")
    ok = True
    try:
        hdrs = headers_for(server.base, data)
        print("| page read under writes | req/s | p50 ms | p99 ms | max ms | errors | ≥400 | "
              "writes by answer | goal |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
        for key, path, who in (("meeting", f"/meetings/{data['big_meeting']}", "admin"),
                               ("week", f"/units/{WARD}/calendar?date=2027-01-04", "admin"),
                               ("clerk", "/my-unit", "clerk"),
                               ("api-meeting", f"/api/v1/meetings/{data['big_meeting']}", "api")):
            stop, statuses, odd, held = threading.Event(), Counter(), [], []
            threads = [threading.Thread(target=hold_write_lock,
                                        args=(url.removeprefix("sqlite:///"), hold, pause, stop, held))]
            threads += [threading.Thread(target=writer, args=(server.base, data["api"], n, stop, statuses, odd))
                        for n in range(2)]
            for t in threads:
                t.start()
            try:
                extra = ["-H", hdrs[who]] if hdrs[who] else []
                result = subprocess.run(
                    ["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--timeout", "10s",
                     "-s", str(ROOT / "bench/wrk_report.lua"), *extra, server.base + path],
                    capture_output=True, text=True, check=True)
            finally:
                stop.set()
                for t in threads:
                    t.join()
            f = json.loads(result.stdout.strip().splitlines()[-1])
            writes_500 = sum(v for k, v in statuses.items() if k.endswith(" 500") or k.endswith("answer"))
            other = sum(v for k, v in statuses.items()
                        if not k.endswith((" 200", " 201", " 503", " 500", "answer")))
            waited_ok = f["p99_ms"] < hold * 1000 * 0.8
            good = (f["requests"] > 0 and f["errors"] == 0 and f["non_2xx"] == 0 and writes_500 == 0
                    and other == 0 and waited_ok)
            ok = ok and good
            print(f"| {key} `{path}` | {f['requests'] / f['seconds']:,.1f} | {f['p50_ms']:,.0f} | "
                  f"{f['p99_ms']:,.0f} | {f['max_ms']:,.0f} | {f['errors']} | {f['non_2xx']} | "
                  f"{', '.join(f'{k}: {v}' for k, v in sorted(statuses.items()))} | "
                  f"{'pass' if good else 'FAIL'} |", flush=True)
            for item in odd[:3]:
                if item[1] != 503:
                    print("   odd write answer:", item, flush=True)
    finally:
        server.stop()
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, help="default: 50 on PostgreSQL, 10 on SQLite")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over every page; medians")
    parser.add_argument("--pages", help="a comma-separated subset of the page keys (--list); the floor is always run")
    parser.add_argument("--port", type=int, default=5160)
    parser.add_argument("--no-present", action="store_true", help="the 2019 year only, not the present")
    parser.add_argument("--no-mixed", action="store_true", help="SQLite: skip the mixed read/write check")
    parser.add_argument("--list", action="store_true", help="list the page keys and stop")
    parser.add_argument("--database", help="a database URL of the engine to use (and keep) instead of a "
                        "scratch one: filled on first use, reused as it is after")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the server and drop the database
    every = pages({"big_meeting": "<id>", "big_invited": "556", "unit_events": "?", "person_events": "?",
                   "unit_feed": "<token>", "person_feed": "<token>"})
    if args.list:
        for page in every:
            print(f"{page.key:20} {page.name:40} {page.path}")
        return
    keys = {p.key for p in every}
    wanted = None
    if args.pages:
        wanted = {k.strip() for k in args.pages.split(",") if k.strip()}
        if unknown := wanted - keys:
            sys.exit(f"unknown page keys: {', '.join(sorted(unknown))} (see --list)")
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    args.connections = args.connections or (50 if args.engine == "postgresql" else 10)
    with (nullcontext(args.database) if args.database else database(args.engine)) as url:
        data = prepare(url, present=not args.no_present)
        server = Server(url, args.workers, args.port)
        try:
            hdrs = headers_for(server.base, data)
            for key, token in (("unit_events", data["unit_feed"]), ("person_events", data["person_feed"])):
                data[key] = fetch(server.base, f"/feeds/{token}.ics", None)[1].count(b"BEGIN:VEVENT")
            targets = [p for p in pages(data) if wanted is None or p.key == "floor" or p.key in wanted]
            print(f"{args.workers} gunicorn workers, {args.engine}, {args.connections} connections, "
                  f"{args.seconds} s per page after 2 s warm-up, {args.rounds} round(s) interleaved, "
                  f"medians (wrk on loopback); {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
                  f"load average {os.getloadavg()[0]:.1f}", flush=True)
            passed = read_table(server, targets, hdrs, args)
            print("worker memory at the end (MiB):", worker_memory(server.process.pid))
        finally:
            server.stop()
        if args.engine == "sqlite" and not args.no_mixed:
            passed = mixed_check(url, data, args) and passed
    print(f"load average at the end {os.getloadavg()[0]:.1f}; every row meets the goals: "
          f"{'yes' if passed else 'no'}")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
