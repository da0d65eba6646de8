"""Working calendar: the office's exceptions (days off, Saturdays worked) and a series' EXDATEs.

Revision ID: 0005_calendar_reorg
Revises: 0001
Create Date: 2026-12-02 14:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005_calendar_reorg'
down_revision = '0003_office'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_exceptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_calendar_exceptions_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_exceptions')),
    sa.UniqueConstraint('day', name=op.f('uq_calendar_exceptions_day'))
    )
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.add_column(sa.Column('exdates', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.drop_column('exdates')
    op.drop_table('calendar_exceptions')
