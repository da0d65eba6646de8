"""A 5,000-entry participant list: refused (every code unknown) and accepted (real units).

Run: .venv/bin/python -m bench.participant_list [--engines sqlite,postgresql] [--repeat 5]

For each engine: a fresh database with Hanoi's legacy units (556 districts and communes); then,
timed, `resolve_participants` on 5,000 unknown codes (the refusal), on 5,000 entries naming
real units (each district and commune about nine times), and, for comparison, the lookup one
reference at a time that the verb did before (`find_unit` per entry, the same 5,000 unknown
codes). Prints medians in milliseconds and the statements each sent.
"""
from __future__ import annotations

import argparse

from sqlalchemy import event, select

from bench.common import database, make_app, median, timed

ENTRIES = 5000


def run(engine: str, repeat: int) -> dict:
    from models import Unit, db
    from models.errors import ValidationFailed
    from models.units import find_unit
    from scheduler.participants import resolve_participants

    with database(engine) as url:
        app = make_app(url)
        with app.app_context():
            unknown = [f"legacy:{i:07d}" for i in range(ENTRIES)]
            units = [u.ref for u in db.session.scalars(select(Unit).where(Unit.level.in_(("district", "commune"))))]
            real = [units[i % len(units)] for i in range(ENTRIES)]
            statements: list[str] = []
            event.listen(db.engine, "before_cursor_execute", lambda *a, **k: statements.append(a[2]))

            def refuse():
                try:
                    resolve_participants(unknown)
                except ValidationFailed:
                    return
                raise AssertionError("not refused")

            def counted(fn):
                statements.clear()
                fn()
                db.session.expunge_all()
                return len(statements)

            out = {}
            for name, fn in [("refused", refuse), ("accepted", lambda: resolve_participants(real)),
                             ("per entry (before)", lambda: [find_unit(r) for r in unknown])]:
                count = counted(fn)
                out[name] = (median(timed(fn, repeat, setup=db.session.expunge_all)), count)
            return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for engine in args.engines.split(","):
        for name, (ms, count) in run(engine, args.repeat).items():
            print(f"{engine:10} {name:20} {ms:9.1f} ms  {count:5d} statements")


if __name__ == "__main__":
    main()
