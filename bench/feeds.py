"""Benchmark the calendar feed: render time, the 304 path, and requests per second against Radicale.

    .venv/bin/python bench/feeds.py [--requests 300] [--seconds 10]

Builds its own data in a temporary SQLite database (a unit with a year of meetings, some of them
series), times the feed in-process, then serves it from a real WSGI server on loopback and the
same events from a Radicale server (filesystem storage, no auth) started here, and compares.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.base import LOCAL  # noqa: E402  (after ROOT is on sys.path)

os.environ.setdefault("SECRET_KEY", "bench-only")



def build_data(app) -> str:
    """A commune invited to ~150 meetings over a year; returns its feed path."""
    from dateutil.rrule import rrulestr
    from flask_migrate import upgrade

    from models import Invitation, Meeting, Series, Unit, db
    from models.base import utcnow
    from models.feeds import feed_token_for_unit

    upgrade()

    def unit(level, code, name, parent=None):
        u = Unit(dataset="legacy", code=code, level=level, division_type=level, name=name,
                 search_name=name.lower(), parent=parent)
        db.session.add(u)
        return u

    city = unit("city", "01", "Thành phố Hà Nội")
    district = unit("district", "001", "Quận Ba Đình", city)
    commune = unit("commune", "00001", "Phường Phúc Xá", district)
    peers = [unit("commune", f"0000{i}", f"Phường số {i}", district) for i in range(2, 6)]
    start = utcnow().replace(microsecond=0, second=0) - timedelta(days=80)

    def meeting(when, title, **extra):
        m = Meeting(uid=f"{uuid.uuid4()}@giaoban", title=title, category="giao_ban",
                    organizer=district, mode="online", start_at=when,
                    end_at=when + timedelta(hours=2), location="Hội trường UBND quận, tầng 3",
                    description="Nội dung: triển khai nhiệm vụ; chuẩn bị báo cáo, số liệu.", **extra)
        for u in [commune, *peers[:3]]:
            m.invitations.append(Invitation(unit=u, response="confirmed" if len(title) % 2 else "pending"))
        db.session.add(m)
        return m

    for i in range(120):
        meeting(start + timedelta(days=3 * i, hours=i % 6), f"Họp chuyên đề số {i}",
                status="cancelled" if i % 25 == 0 else "scheduled")
    today = utcnow().astimezone(LOCAL).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    for n in range(3):
        first = today.replace(hour=8 + n) + timedelta(days=7 - today.weekday())
        series = Series(uid=f"{uuid.uuid4()}@giaoban", rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=10",
                        dtstart_local=first, duration_minutes=90, revision=0)
        db.session.add(series)
        for k, local in enumerate(rrulestr(series.rrule, dtstart=first)):
            at = local.replace(tzinfo=LOCAL).astimezone(UTC)
            m = meeting(at, f"Giao ban tuần {n}", series=series, recurrence_id=at)
            m.end_at = at + timedelta(minutes=90)
            if k == 3:
                m.status = "cancelled"
            if k == 5:
                m.start_at, m.end_at = at + timedelta(hours=3), at + timedelta(hours=4, minutes=30)
    db.session.commit()
    return f"/feeds/{feed_token_for_unit(commune).token}.ics"


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        began = time.perf_counter()
        fn()
        out.append((time.perf_counter() - began) * 1000)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def rps(port: int, path: str, headers: dict, requests: int, seconds: float,
        clients: int = 1) -> tuple[float, int, int]:
    """Requests per second of GET from `clients` threads, each on its own connection, bounded
    in total count and in time."""
    lock, counts, sizes = threading.Lock(), [0], [0]
    began = time.perf_counter()

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() - began < seconds:
            with lock:
                if counts[0] >= requests:
                    break
                counts[0] += 1
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            assert response.status in (200, 304), (response.status, body[:200])
            sizes[0] = len(body)
        conn.close()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return counts[0] / (time.perf_counter() - began), counts[0], sizes[0]


def rps_wrk(port: int, path: str, headers: dict, seconds: float, clients: int) -> tuple[float, int, int]:
    """The same count with wrk (a C load generator, a second process on loopback), so the
    client's own cost does not cap what the servers show."""
    command = ["wrk", "-t1", f"-c{clients}", f"-d{max(int(seconds), 1)}s", "--timeout", "10s",
               "-s", str(ROOT / "bench" / "wrk_report.lua")]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(command + [f"http://127.0.0.1:{port}{path}"], capture_output=True,
                         text=True, check=True).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    if figures["errors"] or figures["non_2xx"]:
        raise SystemExit(f"wrk saw errors on {path}: {figures}")
    return figures["requests"] / figures["seconds"], figures["requests"], 0


def radicale_upload(url: str, data: bytes) -> str:
    """PUT the feed's events (one object per UID) into a new calendar; returns its path."""
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
    calendar = client.principal().make_calendar(name="Phúc Xá")
    for obj in objects.values():
        calendar.add_event(obj.to_ical().decode("utf-8"), increase_seqno=False)
    return str(calendar.url.path), len(objects)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=1, help="parallel connections")
    parser.add_argument("--server", choices=("gunicorn", "werkzeug"), default="gunicorn",
                        help="our server: gunicorn (as `make serve`) or werkzeug in a thread")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers")
    parser.add_argument("--client", choices=("wrk", "python"),
                        default="wrk" if shutil.which("wrk") else "python",
                        help="load generator: wrk (apt-get install wrk) or Python threads")
    args = parser.parse_args()

    from werkzeug.serving import make_server

    from config import Config
    from scheduler import ical
    from webapp import create_app

    tmp = Path(tempfile.mkdtemp(prefix="giaoban-bench-"))
    app = create_app(Config, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp / 'bench.sqlite'}",
                     RATELIMIT_ENABLED=False)
    with app.app_context():
        path = build_data(app)
    client = app.test_client()
    ical.cache_clear()
    cold = timed(lambda: client.get(path), 1)[0]
    first = client.get(path)
    body, etag = first.data, first.headers["ETag"]
    events = body.count(b"BEGIN:VEVENT")

    def cold_render():
        ical.cache_clear()
        client.get(path)
    cold_runs = timed(cold_render, 10)
    warm = timed(lambda: client.get(path), 50)
    with app.app_context():
        from sqlalchemy import text

        from models import db

        def one_changed():
            db.session.execute(text("UPDATE meetings SET revision = revision + 1 "
                                    "WHERE id = (SELECT max(id) FROM meetings WHERE series_id IS NULL)"))
            db.session.commit()
            began = time.perf_counter()
            assert client.get(path).status_code == 200
            return (time.perf_counter() - began) * 1000
        changed = [one_changed() for _ in range(20)]
    body = client.get(path).data
    etag = client.get(path).headers["ETag"]
    not_modified = timed(lambda: client.get(path, headers={"If-None-Match": etag}), 50)

    port = free_port()
    if args.server == "werkzeug":
        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        label = "werkzeug, threaded"
    else:
        env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"])
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--bind",
             f"127.0.0.1:{port}", "--log-level", "warning", "webapp:create_app()"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        label = f"gunicorn, {args.workers} worker(s)"
    rad_port = free_port()
    radicale = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{rad_port}",
         "--storage-filesystem-folder", str(tmp / "radicale"), "--auth-type", "none",
         "--rights-type", "owner_only", "--logging-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(port)
        wait_for(rad_port)
        rad_path, objects = radicale_upload(f"http://127.0.0.1:{rad_port}/", body)
        rad_headers = {"Authorization": "Basic YmVuY2g6eA=="}  # bench:x, as the upload used
        if args.client == "wrk":
            def measure(p, pth, hdrs):
                return rps_wrk(p, pth, hdrs, args.seconds, args.clients)
        else:
            def measure(p, pth, hdrs):
                return rps(p, pth, hdrs, requests=args.requests, seconds=args.seconds,
                           clients=args.clients)
        rps(port, path, {}, requests=20, seconds=5, clients=max(args.workers, args.clients))  # warm
        rps(rad_port, rad_path, rad_headers, requests=3, seconds=5)  # warm
        theirs = measure(rad_port, rad_path, rad_headers)
        ours = measure(port, path, {})
        ours_304 = measure(port, path, {"If-None-Match": etag})
    finally:
        radicale.terminate()
        radicale.wait(timeout=10)
        if args.server == "werkzeug":
            server.shutdown()
        else:
            server.terminate()
            server.wait(timeout=10)

    def row(name, values):
        values = sorted(values)
        return f"| {name} | {statistics.median(values):.1f} | {values[int(len(values) * 0.95) - 1]:.1f} |"

    print(f"Feed: {events} VEVENTs ({objects} calendar objects), {len(body):,} bytes\n")
    print("| in-process (Flask test client) | median ms | p95 ms |\n| --- | ---: | ---: |")
    print(f"| first request, cold cache | {cold:.1f} | {cold:.1f} |")
    print(row("render, cache cleared each time", cold_runs))
    print(row("render after one meeting changed (one VEVENT rebuilt)", changed))
    print(row("render, nothing changed (cache warm)", warm))
    print(row("304 on If-None-Match", not_modified))
    print(f"\n| over loopback, {args.clients} connection(s), client {args.client} | requests | req/s | bytes |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| Giao Ban feed ({label}), 200 | {ours[1]} | {ours[0]:.0f} | {ours[2]:,} |")
    print(f"| Giao Ban feed ({label}), 304 | {ours_304[1]} | {ours_304[0]:.0f} | 0 |")
    print(f"| Radicale GET of the calendar | {theirs[1]} | {theirs[0]:.0f} | {theirs[2]:,} |")
    print(f"\nGiao Ban / Radicale: {ours[0] / theirs[0]:.1f}x (target: at least 20x)")


if __name__ == "__main__":
    main()
