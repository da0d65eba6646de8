"""Words told to people: notifications keep their message's parameters (so each reader sees it
in their language); a cancelled meeting keeps its reason (for the feeds' DESCRIPTION).

Revision ID: 0008_notice_words
Revises: 0007_meeting_search
Create Date: 2026-12-03 11:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0008_notice_words"
down_revision = "0007_meeting_search"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancel_reason", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_column("cancel_reason")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("params")
