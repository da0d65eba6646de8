"""A kept PostgreSQL demo database for the psql scripts here: `python -m bench.psql.make_demo [name]` (drop it when done)."""
from sqlalchemy import create_engine, text
from bench.common import make_app, PG_SERVER
import sys
name = sys.argv[1] if len(sys.argv) > 1 else "giaoban_psql_demo"
admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
with admin.connect() as c:
    c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    c.execute(text(f'CREATE DATABASE "{name}"'))
url = PG_SERVER.rsplit("/", 1)[0] + "/" + name
app = make_app(url)
from models import db, Bridge, User
from scheduler.demo import generate_demo
with app.app_context():
    generate_demo(2019, seed=1, scale=1)
    db.session.add_all([Bridge(name="MCU benchmark", capacity=100000), User(email="bench@giaoban.local", role="admin")])
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
print("ok", url)
