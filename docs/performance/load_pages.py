"""Profile single requests in-process with pyinstrument: the registry, report and readiness
pages and the API report of issue #17's load table.

Run from a worktree, on a database `bench.load --database URL` filled (or any demo database
with Hanoi's units; an admin `profile@giaoban.local` is added):

    PYTHONPATH=. .venv/bin/python docs/performance/load_pages.py DATABASE_URL [PATH ...] [--html DIR]

Each path is requested three times by the same session: the first (cold: nothing cached in the
process) and the third (warm) are timed; the cold one (--warm: the third) is profiled and its
summary printed.
"""
import argparse
import sys
import time
from pathlib import Path

from pyinstrument import Profiler

from config import Config
from models import User, db
from models.users import issue_api_token
from webapp import create_app

PATHS = ["/units", "/units/legacy:001/communes", "/readiness", "/readiness/districts/legacy:001",
         "/readiness/not-ready", "/reports/online-ratio?period=2019-03",
         "/reports/online-ratio?period=2019-Q1", "/reports/online-ratio?period=2019",
         "/reports/online-ratio", "/api/v1/reports/online-ratio?period=2019-03", "/api/v1/readiness"]
PASSWORD = "correct horse battery"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--html", help="also write each profile as HTML into this directory")
    parser.add_argument("--depth", type=int, default=24, help="lines of each profile summary")
    parser.add_argument("--warm", action="store_true", help="profile the third request, not the first")
    args = parser.parse_args()
    app = create_app(Config, SQLALCHEMY_DATABASE_URI=args.url, WTF_CSRF_ENABLED=False)
    with app.app_context():
        admin = db.session.query(User).filter_by(email="profile@giaoban.local").first()
        if admin is None:  # its own account: the bench's sessions stay signed in
            admin = User(email="profile@giaoban.local", role="admin")
            admin.set_password(PASSWORD)
            db.session.add(admin)
            db.session.commit()
        token = issue_api_token(admin, "profile")
    client = app.test_client()
    client.post("/login", data={"email": "profile@giaoban.local", "password": PASSWORD})
    for path in args.paths or PATHS:
        headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
        profiler = Profiler(interval=0.001)
        times = []
        profiled = 2 if args.warm else 0
        for i in range(3):
            if i == profiled:
                profiler.start()
            t0 = time.perf_counter()
            r = client.get(path, headers=headers)
            times.append((time.perf_counter() - t0) * 1000)
            if i == profiled:
                profiler.stop()
        print(f"\n### {path}: {r.status_code}, {len(r.data):,} bytes, cold {times[0]:.0f} ms, "
              f"warm {times[2]:.0f} ms")
        text = profiler.output_text(unicode=True, color=False, show_all=False)
        print("\n".join(text.splitlines()[:args.depth]))
        if args.html:
            name = path.strip("/").replace("/", "_").replace("?", "_").replace("=", "-") or "root"
            Path(args.html, f"{name}.html").write_text(profiler.output_html())


if __name__ == "__main__":
    sys.exit(main())
