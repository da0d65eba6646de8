"""Load: the production set-up (gunicorn workers on PostgreSQL) under 50 concurrent clients.

Run: .venv/bin/python -m bench.load [--workers 4] [--seconds 15] [--connections 50]
Needs `wrk` (Debian: apt-get install wrk) and PostgreSQL on 127.0.0.1.

It makes a PostgreSQL database with Hanoi's units and the demo year, starts gunicorn as
`make serve` does, signs in once, then drives four pages from wrk (a second process on
loopback): the registry, a ward's month calendar, the monthly report and a unit's feed.
It prints requests/s, p50, p95, p99, errors and each worker's resident memory.
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
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench.common import database, make_app

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
        db.session.add(admin)
        db.session.commit()
        token = feed_token_for_unit(find_unit("legacy:00001")).token
        db.session.remove()
        db.engine.dispose()
    return password, token


def sign_in(base: str, password: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login").read().decode()
    csrf = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"email": "load@giaoban.local", "password": password,
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
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    with database("postgresql") as url:
        password, token = prepare(url)
        port = free_port()
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
            cookie = sign_in(base, password)
            targets = [("registry", "/units"),
                       ("ward calendar (month)", "/units/legacy:00001/calendar?view=month&date=2019-03-01"),
                       ("report page (2019-03)", "/reports/online-ratio?period=2019-03"),
                       ("unit feed (.ics)", f"/feeds/{token}.ics")]
            print(f"{args.workers} gunicorn workers, PostgreSQL, {args.connections} connections, "
                  f"{args.seconds} s each (wrk on loopback)")
            print(f"{'page':26} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} {'non-2xx':>8}")
            for name, path in targets:
                subprocess.run(["wrk", "-t2", f"-c{args.connections}", "-d2s", "-H", f"Cookie: {cookie}",
                                base + path], capture_output=True)  # warm-up
                result = subprocess.run(
                    ["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--timeout", "10s",
                     "-s", str(ROOT / "bench/wrk_report.lua"), "-H", f"Cookie: {cookie}", base + path],
                    capture_output=True, text=True, check=True)
                figures = json.loads(result.stdout.strip().splitlines()[-1])
                print(f"{name:26} {figures['requests'] / figures['seconds']:8.1f} {figures['p50_ms']:8.1f} "
                      f"{figures['p95_ms']:8.1f} {figures['p99_ms']:8.1f} {figures['errors']:7d} "
                      f"{figures['non_2xx']:8d}", flush=True)
            print("worker memory (MiB):", worker_memory(server.pid))
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
            shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
