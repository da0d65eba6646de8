"""Operations: health check, request ids, SQLite backup and restore, migrations keep data."""
from sqlalchemy import MetaData, func, insert, select, text

from config import TestConfig
from models import Unit, db
from webapp import create_app


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json == {"status": "ok", "database": "ok"}
    assert r.headers["X-Request-Id"]
    assert client.get("/healthz", headers={"X-Request-Id": "abc123"}).headers["X-Request-Id"] == "abc123"


def test_backup_and_restore_sqlite(app, runner, hanoi, tmp_path, engine_name):
    if engine_name != "sqlite":
        r = runner.invoke(args=["db", "backup", str(tmp_path / "x.sqlite")])
        assert r.exit_code != 0 and "pg_dump" in r.output
        return
    target = tmp_path / "backup.sqlite"
    r = runner.invoke(args=["db", "backup", str(target)])
    assert r.exit_code == 0, r.output
    before = db.session.scalar(select(func.count(Unit.id)))
    db.session.delete(hanoi["snv"])
    db.session.commit()
    assert db.session.scalar(select(func.count(Unit.id))) == before - 1
    bad = tmp_path / "not-a-db.sqlite"
    bad.write_text("hello")
    assert runner.invoke(args=["db", "restore", str(bad), "--yes"]).exit_code != 0
    r = runner.invoke(args=["db", "restore", str(target), "--yes"])
    assert r.exit_code == 0, r.output
    db.session.remove()
    assert db.session.scalar(select(func.count(Unit.id))) == before
    assert db.session.scalar(select(Unit.name).where(Unit.code == "SNV")) == "Sở Nội vụ"


def _fresh_url(database_url: str, tmp_path) -> tuple[str, callable]:
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'upgrade.sqlite'}", lambda: None
    from tests.conftest import create_pg_database, drop_pg_database, pg_url
    name = create_pg_database()
    return pg_url(name).render_as_string(hide_password=False), lambda: drop_pg_database(name)


ROWS = {
    "units": [{"id": 1, "dataset": "legacy", "code": "01", "level": "city", "division_type": "thành phố trung ương",
               "name": "Thành phố Hà Nội", "search_name": "thanh pho ha noi", "parent_id": None},
              {"id": 2, "dataset": "legacy", "code": "001", "level": "district", "division_type": "quận",
               "name": "Quận Ba Đình", "search_name": "quan ba dinh", "parent_id": 1}],
    "users": [{"id": 1, "email": "vp@hanoi.gov.vn", "role": "organizer", "unit_id": 1, "is_enabled": True}],
    "endpoints": [{"id": 1, "unit_id": 2, "name": "Phòng họp", "kind": "room_system", "status": "ready"}],
    "bridges": [{"id": 1, "name": "MCU", "capacity": 600}],
    "meetings": [{"id": 1, "uid": "a@giaoban", "title": "Giao ban", "category": "giao_ban", "organizer_id": 1,
                  "mode": "online", "status": "held", "revision": 2, "ports": 2, "bridge_id": 1,
                  "recorded_after": False, "outcome_mode": "online"}],
    "invitations": [{"id": 1, "meeting_id": 1, "unit_id": 2, "response": "confirmed",
                     "confirmed_before_start": True, "connected": True}],
}


def test_migrations_upgrade_a_database_with_data(database_url, tmp_path):
    """Fill a database at the first migration, upgrade to the latest, and find every row."""
    from datetime import UTC, datetime

    from flask_migrate import upgrade

    url, cleanup = _fresh_url(database_url, tmp_path)
    try:
        app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            upgrade(revision="0001")
            meta = MetaData()
            meta.reflect(bind=db.engine)
            stamp = datetime(2019, 3, 4, 1, tzinfo=UTC)
            with db.engine.begin() as conn:
                for table, rows in ROWS.items():
                    cols = meta.tables[table].c
                    full = [{**r, **{c.name: stamp for c in cols if c.name.endswith("_at")
                                     and c.name not in r and not c.nullable}} for r in rows]
                    conn.execute(insert(meta.tables[table]), full)
            upgrade()
            with db.engine.connect() as conn:
                for table, rows in ROWS.items():
                    got = conn.execute(text(f"SELECT * FROM {table} ORDER BY id")).mappings().all()
                    assert len(got) == len(rows), table
                    for want, have in zip(rows, got):
                        assert {k: have[k] for k in want} == want, table
                version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            from alembic.script import ScriptDirectory
            config = app.extensions["migrate"].migrate.get_config()
            assert version == ScriptDirectory.from_config(config).get_current_head()
            db.session.remove()
            db.engine.dispose()
    finally:
        cleanup()


def test_engine_settings(app, engine_name):
    if engine_name == "sqlite":
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    else:
        constraint = db.session.execute(text(   # the clash guard: endpoint holds (0010_series)
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conname = 'ex_endpoint_holds_no_overlap'")).scalar()
        assert "EXCLUDE USING gist" in constraint and "&&" in constraint
        triggers = set(db.session.scalars(text(
            "SELECT tgname FROM pg_trigger WHERE tgfoid = 'endpoint_holds_sync'::regproc")))
        assert triggers == {"tr_endpoint_bookings_hold_insert", "tr_endpoint_bookings_hold_update",
                            "tr_endpoint_bookings_hold_delete", "tr_meetings_series_hold"}
