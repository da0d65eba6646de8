"""Endpoint holds: a statement that changes the holds of many holders takes one lock, not one each.

0010_series serialised the writers of one holder with a transaction advisory lock (1701, holder)
per holder a statement touches. Advisory locks live in PostgreSQL's shared lock table, sized by
`max_locks_per_transaction` (64 per connection by default, 6,400 in all): a statement booking
thousands of single meetings at once (`flask demo generate --scale 10`, a reorganisation moving
a year of bookings) failed with "out of shared memory". Now every writer first takes the lock
(1700) shared, then its holders' locks as before; a statement touching more than BULK_HOLDERS
(64) holders takes 1700 exclusively instead, which waits for every other writer of holds and
shuts them out until it commits: one lock for any number of holders.

Revision ID: 0011_hold_locks
Revises: 0010_series
"""
from alembic import op

revision = "0011_hold_locks"
down_revision = "0010_series"
branch_labels = None
depends_on = None

#: above this many holders in one statement, one exclusive lock instead of one lock per holder
BULK_HOLDERS = 64

_APPLY = """
CREATE OR REPLACE FUNCTION endpoint_holds_apply(changes endpoint_hold_change[]) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    clash record;
@DECLARE@BEGIN
    IF coalesce(cardinality(changes), 0) = 0 THEN
        RETURN;
    END IF;
@LOCKS@    WITH merged AS (
        SELECT c.holder, c.endpoint_id, k.kept, k.kept + coalesce(c.came, '{}') AS during, c.came_seconds
          FROM unnest(changes) c
          LEFT JOIN endpoint_holds h ON h.holder = c.holder AND h.endpoint_id = c.endpoint_id
         CROSS JOIN LATERAL (SELECT coalesce(h.during, '{}') - coalesce(c.gone, '{}') AS kept) k),
    upserted AS (
        INSERT INTO endpoint_holds (holder, endpoint_id, during)
        SELECT m.holder, m.endpoint_id, m.during FROM merged m WHERE NOT isempty(m.during)
         ORDER BY m.endpoint_id  -- one order for every writer: racing bookings wait on each other in turn
        ON CONFLICT (holder, endpoint_id) DO UPDATE SET during = EXCLUDED.during),
    emptied AS (
        DELETE FROM endpoint_holds h USING merged m
         WHERE isempty(m.during) AND h.holder = m.holder AND h.endpoint_id = m.endpoint_id)
    -- a union shorter than its parts: two bookings of one holder overlap (range_agg merged them)
    SELECT m.holder, m.endpoint_id INTO clash FROM merged m
     WHERE endpoint_hold_seconds(m.during) <> endpoint_hold_seconds(m.kept) + m.came_seconds
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'endpoint % would be in two overlapping bookings of holder %',
                        clash.endpoint_id, clash.holder
              USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'ex_endpoint_holds_no_overlap',
                    TABLE = 'endpoint_holds';
    END IF;
END $fn$;
"""

#: the function's locks, as 0010_series took them and as they are now
LOCKS_0010 = """
    -- one writer per holder at a time (in holder order); the statement below then reads the hold
    -- as the previous writer committed it (READ COMMITTED: a fresh snapshot per statement)
    PERFORM pg_advisory_xact_lock(1701, s.holder)
       FROM (SELECT DISTINCT c.holder FROM unnest(changes) c ORDER BY 1) s;
"""
LOCKS = """
    SELECT count(DISTINCT c.holder) INTO holders FROM unnest(changes) c;
    IF holders > @BULK_HOLDERS@ THEN
        -- every holder at once: one lock for the statement (the lock table holds a few thousand)
        PERFORM pg_advisory_xact_lock(1700);
    ELSE
        -- one writer per holder at a time (in holder order); the statement below then reads the
        -- hold as the previous writer committed it (READ COMMITTED: a fresh snapshot per statement)
        PERFORM pg_advisory_xact_lock_shared(1700);
        PERFORM pg_advisory_xact_lock(1701, s.holder)
           FROM (SELECT DISTINCT c.holder FROM unnest(changes) c ORDER BY 1) s;
    END IF;
""".replace("@BULK_HOLDERS@", str(BULK_HOLDERS))


def _apply(locks: str, declare: str = "") -> str:
    """The function `endpoint_holds_apply` with these locks before its upsert."""
    return _APPLY.replace("@LOCKS@", locks.lstrip("\n")).replace("@DECLARE@", declare)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_apply(LOCKS, "    holders integer;\n"))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_apply(LOCKS_0010))
