"""Schemathesis against a real server: gunicorn serving the app on the test database, the
schemathesis command line over HTTP with every check, positive-data acceptance included.

`test_api_fuzz.py` calls the app in process (WSGI); this one goes through a socket, the
server's own request parsing and several worker processes, as a client would. The budget is
small (a few examples per operation) to keep the suite quick; raise `EXAMPLES` locally to
search harder.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = 4
#: A schema promises which requests are well formed, not which units, meetings or times exist:
#: the hooks (`schemathesis_world.py`) make generated data name the seeded world instead.
HOOKS = "tests.webapp.schemathesis_world"
#: seconds: a loaded machine's bound (a 5,000-entry participant list took 11.8 s to refuse before its
#: references were looked up together; 0.4 s since, docs/PERFORMANCE.md session 5)
SLOWEST = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(app, database_url, tmp_path):
    """gunicorn with two workers on the test database; stopped before the tables are emptied."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "live-fuzz",
           "GIAOBAN_INSTANCE": str(tmp_path), "PUBLIC_URL": f"http://127.0.0.1:{port}", "PYTHONUNBUFFERED": "1"}
    log = open(tmp_path / "gunicorn.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
                             "--timeout", "60", "webapp:create_app()"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
        time.sleep(0.3)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


def upcoming_meeting(organizer, bridge, days: int = 7):
    """A briefing `days` ahead (the server's clock is the real one), inviting two communes."""
    from datetime import timedelta

    from models import db
    from models.base import LOCAL, utcnow
    from scheduler.booking import book_meeting
    from tests.booking_data import meeting_data
    start = (utcnow() + timedelta(days=days)).astimezone(LOCAL).replace(hour=9, minute=0, second=0, microsecond=0)
    data = meeting_data(bridge=bridge.id, participants=["legacy:00001", "legacy:00004"], start=start,
                        end=start + timedelta(hours=2))
    meeting = book_meeting(data, organizer, utcnow()).meetings[0]
    db.session.commit()
    return meeting


def seeded_world(hanoi, equipped, bridge, organizer, make_meeting) -> dict:
    """What the hooks may name: the units, the bridge, an endpoint, and a meeting of its own for
    each operation that changes a meeting's state (so one cancellation does not turn every other
    operation's answer into a conflict)."""
    from datetime import timedelta

    from models.base import LOCAL, utcnow
    from scheduler.working_calendar import WorkingCalendar
    now = utcnow()
    own = {label: upcoming_meeting(organizer, bridge, days=8 + n).id for n, label in enumerate([
        "PATCH /api/v1/meetings/{meeting_id}", "POST /api/v1/meetings/{meeting_id}/cancel",
        "PUT /api/v1/meetings/{meeting_id}/responses/{unit}"])}
    invited = [hanoi["phuc_xa"], hanoi["truc_bach"]]
    # under way: the roll call is open; ended: its outcome, minutes and conclusions may be written
    running = make_meeting(hanoi["city"], now - timedelta(minutes=20), participants=invited)
    ended = make_meeting(hanoi["city"], now - timedelta(days=2), participants=invited)
    for verb in ("PUT /api/v1/meetings/{meeting_id}/roll-call/{unit}",
                 "POST /api/v1/meetings/{meeting_id}/roll-call/{unit}/check-in"):
        own[verb] = running.id
    own["POST /api/v1/meetings/{meeting_id}/outcome"] = ended.id
    calendar = WorkingCalendar.from_db()
    days = [(now + timedelta(days=n)).astimezone(LOCAL).date() for n in range(20, 200)]
    return {"now": now.isoformat(), "working_days": [d.isoformat() for d in days if calendar.is_working(d)],
            "organizer": "legacy:01", "province": "01", "bridge": bridge.id,
            "endpoint": equipped["phuc_xa"].id, "units": sorted(u.ref for u in hanoi.values() if u.level != "city"),
            "invited": [u.ref for u in invited],
            "meetings": {"default": upcoming_meeting(organizer, bridge).id, **own}}


@pytest.mark.slow
def test_a_served_api_answers_generated_input_as_documented(app, hanoi, equipped, bridge, make_user,
                                                           make_meeting, token_for, served, tmp_path):
    import json
    headers = token_for(make_user("admin"))
    world = tmp_path / "world.json"
    world.write_text(json.dumps(seeded_world(hanoi, equipped, bridge, make_user("organizer", hanoi["city"]),
                                             make_meeting)))
    run = subprocess.run(
        [sys.executable, "-m", "tests.webapp.schemathesis_cli", "--no-color",
         "run", f"{served}/api/v1/openapi.json",
         "--checks", "all", "--max-examples", str(EXAMPLES),
         "--seed", "12", "--header", f"Authorization:{headers['Authorization']}",
         "--phases", "examples,coverage,fuzzing", "--request-timeout", "60",
         "--max-response-time", str(SLOWEST),
         "--suppress-health-check", "all"],
        cwd=tmp_path,  # its cache stays out of the tree
        env={**os.environ, "PYTHONPATH": str(ROOT), "SCHEMATHESIS_HOOKS": HOOKS, "GIAOBAN_FUZZ_WORLD": str(world)},
        capture_output=True, text=True, timeout=900)
    server_log = (tmp_path / "gunicorn.log").read_text()
    (tmp_path / "schemathesis.txt").write_text(run.stdout + run.stderr)
    assert run.returncode == 0, run.stdout[-60000:] + run.stderr[-3000:]
    assert "Traceback" not in server_log, server_log[-5000:]
