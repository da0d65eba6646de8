"""Notices and their deliveries; delivery state on reminders; e-mail preference; unit contacts.

Revision ID: 0004_notices
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_notices"
down_revision = "0002_hardening"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _state_columns():
    return [sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
            sa.Column("next_attempt_at", TZ, nullable=True),
            sa.Column("sending_at", TZ, nullable=True),
            sa.Column("claimed_by", sa.String(length=64), nullable=True),
            sa.Column("last_error", sa.Text(), nullable=True),
            sa.Column("failed_at", TZ, nullable=True)]


def upgrade():
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("read_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_notices_unit_id_units")),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name=op.f("fk_notices_meeting_id_meetings")),
        sa.ForeignKeyConstraint(["series_id"], ["series.id"], name=op.f("fk_notices_series_id_series")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index("ix_notices_unit", ["unit_id", "created_at"], unique=False)
        batch_op.create_index("ix_notices_meeting", ["meeting_id"], unique=False)
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=True),
        sa.Column("due_at", TZ, nullable=False),
        sa.Column("sent_at", TZ, nullable=True),
        sa.Column("withdrawn_at", TZ, nullable=True),
        *_state_columns(),
        sa.ForeignKeyConstraint(["notice_id"], ["notices.id"], name=op.f("fk_deliveries_notice_id_notices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("notice_id", "channel", "recipient",
                            name=op.f("uq_deliveries_notice_id_channel_recipient")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_deliveries_due", ["channel", "sent_at", "due_at"], unique=False)
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        for column in _state_columns():
            batch_op.add_column(column)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_notices", sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_emails", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_column("contact_emails")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("email_notices")
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        for column in reversed(_state_columns()):
            batch_op.drop_column(column.name)
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_due")
    op.drop_table("deliveries")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index("ix_notices_meeting")
        batch_op.drop_index("ix_notices_unit")
    op.drop_table("notices")
