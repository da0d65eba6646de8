"""The data version: a one-row counter bumped by every write the reports depend on (#17).

Revision ID: 0006_data_version
Revises: 0005_calendar_reorg
Create Date: 2026-12-02 18:50:00

"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0006_data_version'
down_revision = '0005_calendar_reorg'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('data_version',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_version'))
    )
    # a random start: a process cache of another database cannot meet this version
    op.execute(sa.text("INSERT INTO data_version (id, version, changed_at) "
                       "VALUES (1, :start, CURRENT_TIMESTAMP)").bindparams(
                           start=secrets.randbelow(2**40) * 1000))


def downgrade():
    op.drop_table('data_version')
