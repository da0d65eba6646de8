"""How long the demo's present takes at a scale: `python -m bench.demo_present [--scale 1]`.

Uses a temporary SQLite database with the legacy units; prints the meetings and invitations
made and the seconds taken by the present alone (the 2019 year is made at a tiny scale first).
"""
from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import date
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--today", default="2026-12-02")
    args = parser.parse_args()
    from flask_migrate import upgrade

    from models import db
    from models.registry_import import import_units
    from scheduler.demo import generate_demo, generate_recent
    from scheduler.demo.recent import demo_now
    from scheduler.demo.writer import MeetingWriter
    from webapp import create_app

    today = date.fromisoformat(args.today)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
        with app.app_context():
            upgrade()
            import_units(1, "legacy")
            generate_demo(2019, scale=0.02, today=today, recent=False)
            writer = MeetingWriter(random.Random("bench"), demo_now(today))
            started = time.perf_counter()
            generate_recent(today, 1, args.scale, writer)
            writer.flush()
            db.session.commit()
            took = time.perf_counter() - started
            print(f"present at scale {args.scale}: {writer.counts['meetings']} meetings, "
                  f"{writer.counts['invitations']} invitations in {took:.1f} s")


if __name__ == "__main__":
    main()
