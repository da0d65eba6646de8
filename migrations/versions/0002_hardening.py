"""Hardening: no meeting or endpoint booking lasts longer than 24 hours, enforced by the database.

The clash and bridge-capacity queries bound their scan by the longest session
(`scheduler.clashes.LONGEST_SESSION`); this makes that bound an invariant of the data rather
than of one code path. PostgreSQL: a CHECK constraint on each table. SQLite: triggers (it
cannot add a CHECK to an existing table without copying it).

Revision ID: 0002_hardening
Revises: 0001
"""
from alembic import op

revision = "0002_hardening"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ("meetings", "endpoint_bookings")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.create_check_constraint(op.f(f"ck_{table}_at_most_24_hours"), table,
                                       "end_at - start_at <= interval '24 hours'")
        return
    for table in TABLES:
        for verb in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER ck_{table}_at_most_24_hours_{verb.lower()} BEFORE {verb} ON {table} "
                "WHEN julianday(NEW.end_at) - julianday(NEW.start_at) > 1.0 "
                f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {table}_at_most_24_hours'); END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.drop_constraint(op.f(f"ck_{table}_at_most_24_hours"), table, type_="check")
        return
    for table in TABLES:
        for verb in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS ck_{table}_at_most_24_hours_{verb}")
