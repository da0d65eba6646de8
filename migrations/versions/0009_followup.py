"""Follow-up: minutes with revisions, the conclusions notice, its tasks, their updates and reminders.

Revision ID: 0009_followup
Revises: 0008_briefing (brief1 merged into brief2 for the storage interface)
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_followup"
down_revision = "0008_briefing"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _fk(table, column, target):
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade():
    op.create_table(
        "minutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("published_number", sa.Integer(), nullable=True),
        sa.Column("published_at", TZ, nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", TZ, nullable=False),
        _fk("minutes", "meeting_id", "meetings"),
        _fk("minutes", "published_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_minutes")),
        sa.UniqueConstraint("meeting_id", name=op.f("uq_minutes_meeting_id")),
    )
    op.create_table(
        "minutes_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("minutes_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        _fk("minutes_revisions", "minutes_id", "minutes"),
        _fk("minutes_revisions", "author_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_minutes_revisions")),
        sa.UniqueConstraint("minutes_id", "number", name=op.f("uq_minutes_revisions_minutes_id_number")),
    )
    op.create_table(
        "conclusion_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=50), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("published_at", TZ, nullable=True),
        _fk("conclusion_notices", "meeting_id", "meetings"),
        _fk("conclusion_notices", "created_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conclusion_notices")),
        sa.UniqueConstraint("meeting_id", name=op.f("uq_conclusion_notices_meeting_id")),
    )
    op.create_table(
        "followup_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conclusions_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("lead_unit_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("deadline_at", TZ, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("done_at", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        _fk("followup_tasks", "conclusions_id", "conclusion_notices"),
        _fk("followup_tasks", "lead_unit_id", "units"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followup_tasks")),
    )
    with op.batch_alter_table("followup_tasks", schema=None) as batch_op:
        batch_op.create_index("ix_followup_tasks_lead_due", ["lead_unit_id", "due_on"], unique=False)
        batch_op.create_index("ix_followup_tasks_conclusions", ["conclusions_id"], unique=False)
    op.create_table(
        "task_supporters",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        _fk("task_supporters", "task_id", "followup_tasks"),
        _fk("task_supporters", "unit_id", "units"),
        sa.PrimaryKeyConstraint("task_id", "unit_id", name=op.f("pk_task_supporters")),
    )
    op.create_table(
        "task_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        _fk("task_updates", "task_id", "followup_tasks"),
        _fk("task_updates", "actor_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_updates")),
    )
    with op.batch_alter_table("task_updates", schema=None) as batch_op:
        batch_op.create_index("ix_task_updates_task", ["task_id"], unique=False)
    op.create_table(
        "task_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("update_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        _fk("task_evidence", "task_id", "followup_tasks"),
        _fk("task_evidence", "update_id", "task_updates"),
        _fk("task_evidence", "uploaded_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_evidence")),
    )
    with op.batch_alter_table("task_evidence", schema=None) as batch_op:
        batch_op.create_index("ix_task_evidence_task", ["task_id"], unique=False)
    op.create_table(
        "task_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        _fk("task_reminders", "task_id", "followup_tasks"),
        _fk("task_reminders", "notice_id", "notices"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_reminders")),
        sa.UniqueConstraint("task_id", "kind", name=op.f("uq_task_reminders_task_id_kind")),
        sa.UniqueConstraint("notice_id", name=op.f("uq_task_reminders_notice_id")),
    )


def downgrade():
    for table in ("task_reminders", "task_evidence", "task_updates", "task_supporters", "followup_tasks",
                  "conclusion_notices", "minutes_revisions", "minutes"):
        op.drop_table(table)
