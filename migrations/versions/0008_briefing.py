"""The paperless briefing: agenda items, documents (and the stored files), roll-call marks.

Revision ID: 0008_briefing
Revises: 0008_notice_words (brief said 0007_meeting_search; main added 0008_notice_words meanwhile)
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_briefing"
down_revision = "0008_notice_words"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _fk(table, column, target, **kw):
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", **kw)


def upgrade():
    op.create_table(
        "agenda_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("presenter_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.Time(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        _fk("agenda_items", "meeting_id", "meetings"),
        _fk("agenda_items", "presenter_id", "units"),
        sa.PrimaryKeyConstraint("id", name="pk_agenda_items"),
    )
    op.create_index("ix_agenda_items_meeting", "agenda_items", ["meeting_id", "position"])
    op.create_table(
        "stored_files",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_stored_files"),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", TZ, nullable=False),
        sa.Column("published_at", TZ, nullable=True),
        _fk("documents", "meeting_id", "meetings"),
        _fk("documents", "agenda_item_id", "agenda_items", ondelete="SET NULL"),
        _fk("documents", "uploaded_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
    )
    op.create_index("ix_documents_meeting", "documents", ["meeting_id", "id"])
    op.create_table(
        "roll_call_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("marked_by_id", sa.Integer(), nullable=True),
        sa.Column("marked_at", TZ, nullable=False),
        sa.Column("by_self", sa.Boolean(), nullable=False, server_default=sa.false()),
        _fk("roll_call_marks", "meeting_id", "meetings"),
        _fk("roll_call_marks", "unit_id", "units"),
        _fk("roll_call_marks", "marked_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name="pk_roll_call_marks"),
        sa.UniqueConstraint("meeting_id", "unit_id", name="uq_roll_call_marks_meeting_id_unit_id"),
    )


def downgrade():
    op.drop_table("roll_call_marks")
    op.drop_index("ix_documents_meeting", table_name="documents")
    op.drop_table("documents")
    op.drop_table("stored_files")
    op.drop_index("ix_agenda_items_meeting", table_name="agenda_items")
    op.drop_table("agenda_items")
