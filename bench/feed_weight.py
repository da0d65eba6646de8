"""A commune's year feed, in bytes, with every ATTENDEE (before #11) and with its own only.

    FLASK_APP=webapp:create_app DATABASE_URL=sqlite:////tmp/demo.sqlite \\
        .venv/bin/python bench/feed_weight.py [--unit REF]

Reads a database filled by `flask demo generate --year 2019`. The feed window is normally
around the clock's now; here `feed_meetings_query` is given now = 1 July 2019 and 182 days
either side, so the window is the demo year. Default unit: the commune invited most.
"""
from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unit", help="a commune's ref (default: the one invited most)")
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", "bench-only")
    from sqlalchemy import func, select

    from models import Invitation, Unit, db
    from models.calendar_feeds import dial_addresses, feed_meetings_query, feed_versions, load_feed_meetings
    from models.units import find_unit
    from scheduler import ical
    from webapp import create_app

    app = create_app()
    with app.app_context():
        if args.unit:
            unit = find_unit(args.unit)
        else:
            unit = db.session.scalar(select(Unit).join(Invitation, Invitation.unit_id == Unit.id)
                                     .where(Unit.level == "commune").group_by(Unit.id)
                                     .order_by(func.count(Invitation.id).desc()).limit(1))
        query = feed_meetings_query({unit.id}, datetime(2019, 7, 1, tzinfo=UTC), 182, 183)
        sizes = {}
        for label, own in (("every ATTENDEE", None), ("own ATTENDEE", unit.id)):
            ical.cache_clear()
            ctx = ical.make_context("https://giaoban.example.vn", "giaoban@example.vn",
                                    load_dial=dial_addresses, scope=frozenset({unit.id}), own_unit=own)
            body = ical.assemble_feed(feed_versions(query), load_feed_meetings, ctx, name=unit.name, uid="u")
            sizes[label] = body
        print(f"{unit.ref} {unit.name}: {sizes['own ATTENDEE'].count(b'BEGIN:VEVENT')} VEVENTs")
        for label, body in sizes.items():
            print(f"  {label}: {len(body):,} bytes, {body.count(b'ATTENDEE;'):,} ATTENDEE lines")


if __name__ == "__main__":
    main()
