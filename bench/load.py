"""Load: the production set-up (gunicorn workers on PostgreSQL) under 50 concurrent clients.

Run: .venv/bin/python -m bench.load [--workers 4] [--seconds 15] [--connections 50]
         [--rounds 3] [--port 5160]
Needs `wrk` (Debian: apt-get install wrk) and PostgreSQL on 127.0.0.1.

It makes a PostgreSQL database with Hanoi's units and the demo year, starts gunicorn as
`make serve` does, signs in an admin and a ward clerk, then drives from wrk (a second process
on loopback) the `/healthz` floor and the pages a person opens on a Monday morning: home, the
clerk's home, the meetings list, a ward's week calendar, the monthly report, a unit's feed and
the registry tree; rounds interleave the pages. It prints a table with requests/s, p50 and p95,
each as a multiple of the floor measured in the same run, errors, and each worker's memory.
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
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench.common import database, make_app

ROOT = Path(__file__).resolve().parent.parent


def prepare(url: str) -> tuple[str, str]:
    """Fill the database; returns the admin's password and a feed token of Phường Phúc Xá."""
    from models import User, db
    from models.feeds import feed_token_for_unit
    from models.units import find_unit
    from scheduler.demo import generate_demo

    app = make_app(url)
    with app.app_context():
        generate_demo(2019, seed=1, scale=1)
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")  # as autovacuum would by the time anyone reads
        password = secrets.token_urlsafe(12)
        admin = User(email="load@giaoban.local", role="admin")
        admin.set_password(password)
        clerk = User(email="clerk@giaoban.local", role="clerk", unit=find_unit("legacy:00001"))
        clerk.set_password(password)
        db.session.add_all([admin, clerk])
        db.session.commit()
        token = feed_token_for_unit(find_unit("legacy:00001")).token
        db.session.remove()
        db.engine.dispose()
    return password, token


def sign_in(base: str, password: str, email: str = "load@giaoban.local") -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login").read().decode()
    csrf = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"email": email, "password": password,
                                   "csrf_token": csrf}).encode()
    opener.open(base + "/login", data)
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def worker_memory(master: int) -> list[int]:
    """Resident memory (MiB) of each gunicorn worker."""
    out = []
    for pid in subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split():
        status = Path(f"/proc/{pid}/status").read_text()
        rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
        out.append(rss // 1024)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=1, help="rounds over every page; medians")
    parser.add_argument("--port", type=int, default=5160)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    with database("postgresql") as url:
        password, token = prepare(url)
        port = args.port
        instance = tempfile.mkdtemp(prefix="giaoban-load-")
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(16),
               "GIAOBAN_INSTANCE": instance, "RATELIMIT_LOGIN": "1000 per minute"}
        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(args.workers), "--bind",
             f"127.0.0.1:{port}", "--log-level", "warning", "webapp:create_app()"],
            # not piped: a full pipe would block the workers
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.2)
            admin = sign_in(base, password)
            clerk = sign_in(base, password, "clerk@giaoban.local")
            # A Monday morning: the floor first, then the pages a person opens.
            targets = [("/healthz (floor)", "/healthz", admin),
                       ("home /", "/", admin),
                       ("clerk home /my-unit", "/my-unit", clerk),
                       ("meetings list", "/meetings", admin),
                       ("ward week calendar", "/units/legacy:00001/calendar?date=2019-03-04", admin),
                       ("report page (2019-03)", "/reports/online-ratio?period=2019-03", admin),
                       ("unit feed (.ics)", f"/feeds/{token}.ics", admin),
                       ("registry tree /units", "/units", admin)]
            print(f"{args.workers} gunicorn workers, PostgreSQL, {args.connections} connections, "
                  f"{args.seconds} s per page, {args.rounds} round(s) interleaved, medians "
                  "(wrk on loopback)")
            runs: dict[str, list[dict]] = {name: [] for name, _path, _cookie in targets}
            for _round in range(args.rounds):
                for name, path, cookie in targets:
                    subprocess.run(["wrk", "-t2", f"-c{args.connections}", "-d2s", "-H",
                                    f"Cookie: {cookie}", base + path], capture_output=True)  # warm-up
                    result = subprocess.run(
                        ["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--timeout", "10s",
                         "-s", str(ROOT / "bench/wrk_report.lua"), "-H", f"Cookie: {cookie}", base + path],
                        capture_output=True, text=True, check=True)
                    runs[name].append(json.loads(result.stdout.strip().splitlines()[-1]))
            print("| page | req/s | × floor | p50 ms | p95 ms | p95 × floor | errors | non-2xx |")
            print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
            floor = None
            for name, figures in runs.items():
                rate = statistics.median(f["requests"] / f["seconds"] for f in figures)
                p50 = statistics.median(f["p50_ms"] for f in figures)
                p95 = statistics.median(f["p95_ms"] for f in figures)
                floor = floor or (rate, p95)
                print(f"| {name} | {rate:.1f} | {rate / floor[0]:.3f} | {p50:.0f} | {p95:.0f} | "
                      f"{p95 / floor[1]:.1f} | {sum(f['errors'] for f in figures)} | "
                      f"{sum(f['non_2xx'] for f in figures)} |", flush=True)
            print("worker memory (MiB):", worker_memory(server.pid))
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
            shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
