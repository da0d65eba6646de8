"""Office pages: bridge details and retirement, revocable sessions, named API tokens.

Revision ID: 0003_office
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_office"
down_revision = "0004_notices"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("bridges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dial_prefix", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("notes", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("name")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_version")
    with op.batch_alter_table("bridges", schema=None) as batch_op:
        batch_op.drop_column("retired_at")
        batch_op.drop_column("notes")
        batch_op.drop_column("dial_prefix")
