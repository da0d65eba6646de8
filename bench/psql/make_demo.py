"""A kept PostgreSQL demo database for the psql scripts here (drop it when done).

Run: .venv/bin/python -m bench.psql.make_demo [name]   (default giaoban_psql_demo)
"""
from __future__ import annotations

import sys

from sqlalchemy import create_engine, text

from bench.common import PG_SERVER, make_app


def main(name: str) -> None:
    from models import Bridge, User, db
    from scheduler.demo import generate_demo

    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    app = make_app(PG_SERVER.rsplit("/", 1)[0] + "/" + name)
    with app.app_context():
        generate_demo(2019, seed=1, scale=1)
        db.session.add_all([Bridge(name="MCU benchmark", capacity=100000),
                            User(email="bench@giaoban.local", role="admin")])
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    print("made", name)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "giaoban_psql_demo")
