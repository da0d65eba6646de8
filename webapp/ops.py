"""Operations: /healthz, structured request logs with a request id, SQLite backup and restore."""
from __future__ import annotations

import json
import logging
import sqlite3
import time
from pathlib import Path

import click
from flask import Blueprint, Flask, g, jsonify, request
from sqlalchemy import text

from models import db

bp = Blueprint("ops", __name__)
log = logging.getLogger("giaoban.request")


@bp.get("/healthz")
def healthz():
    """200 when the database answers and carries the schema's head revision, 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database is "not healthy"
        db.session.rollback()
        return jsonify(status="error", database=type(exc).__name__), 503
    try:
        have = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    except Exception:  # noqa: BLE001 - no version table: the schema was never migrated
        db.session.rollback()
        have = set()
    heads = schema_heads()
    if not have or have != heads:
        return jsonify(status="error", database="ok", schema="missing" if not have else "outdated",
                       expected=sorted(heads), found=sorted(have)), 503
    return jsonify(status="ok", database="ok")


_HEADS: set[str] = set()


def schema_heads() -> set[str]:
    """The Alembic head revisions of this code's migrations (read once)."""
    if not _HEADS:
        from alembic.config import Config as AlembicConfig
        from alembic.script import ScriptDirectory
        config = AlembicConfig()
        config.set_main_option("script_location", str(Path(__file__).resolve().parent.parent / "migrations"))
        _HEADS.update(ScriptDirectory.from_config(config).get_heads())
    return set(_HEADS)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        data = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
                "logger": record.name, "message": record.getMessage()}
        data.update(getattr(record, "fields", {}))
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def init_app(app: Flask) -> None:
    if not app.testing and not logging.getLogger("giaoban").handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        logging.getLogger("giaoban").addHandler(handler)
        logging.getLogger("giaoban").propagate = False

    @app.before_request
    def _start_timer():
        g.started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        started = getattr(g, "started", None)
        log.info("request", extra={"fields": {
            "request_id": getattr(g, "request_id", None), "method": request.method,
            "path": request.path, "status": response.status_code,
            "ms": round((time.perf_counter() - started) * 1000, 1) if started else None}})
        return response


def _sqlite_path() -> Path:
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database:
        raise click.ClickException("backup and restore work on the embedded SQLite database; "
                                   "use pg_dump and pg_restore for PostgreSQL")
    return Path(url.database)


def backup_sqlite(source: Path, target: Path) -> None:
    """A consistent copy while the app runs (SQLite's online backup API)."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False))
def backup(target: str):
    """Copy the SQLite database to TARGET, safely while the app runs."""
    source = _sqlite_path()
    backup_sqlite(source, Path(target))
    click.echo(f"Backed up {source} to {target}.")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(source: str, yes: bool):
    """Replace the SQLite database with a backup (stop the app and scheduler first)."""
    target = _sqlite_path()
    check = sqlite3.connect(source)
    try:
        if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise click.ClickException(f"{source} is not a sound SQLite database")
        check.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise click.ClickException(f"{source} is not a Giao Ban backup: {exc}") from exc
    finally:
        check.close()
    if not yes:
        click.confirm(f"Replace {target} with {source}?", abort=True)
    db.session.remove()
    db.engine.dispose()
    backup_sqlite(Path(source), target)
    click.echo(f"Restored {target} from {source}. Run `flask db upgrade` if the backup is older.")


def register_cli(app: Flask) -> None:
    """Add `flask db backup` and `flask db restore` to Flask-Migrate's `db` group."""
    group = app.cli.commands["db"]
    group.add_command(backup)
    group.add_command(restore)
