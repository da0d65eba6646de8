"""Meetings: a search key of the title (case- and mark-free) for the list's title search.

Revision ID: 0007_meeting_search
Revises: 0005_calendar_reorg
Create Date: 2026-12-02 18:40:00

"""
import sqlalchemy as sa
from alembic import op

from models.text import search_key

revision = "0007_meeting_search"
down_revision = '0006_data_version'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_title', sa.String(length=300), nullable=True))
    bind = op.get_bind()
    meetings = sa.table('meetings', sa.column('id', sa.Integer), sa.column('title', sa.String),
                        sa.column('search_title', sa.String))
    rows = bind.execute(sa.select(meetings.c.id, meetings.c.title)).all()
    update = (meetings.update().where(meetings.c.id == sa.bindparam('mid'))
              .values(search_title=sa.bindparam('key')))
    for i in range(0, len(rows), 5000):
        chunk = [{'mid': r.id, 'key': search_key(r.title)} for r in rows[i:i + 5000]]
        bind.execute(update, chunk)


def downgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('search_title')
