"""Endpoint holds: the clash guard of PostgreSQL moves from 200,000 booking rows to one row per
(series or single meeting, endpoint), so a daily series to 556 units books in seconds (#17, #12).

`endpoint_bookings` keeps one row per occurrence and endpoint (every query reads them as
before). What changes is where PostgreSQL enforces "no endpoint in two overlapping active
bookings": instead of a GiST exclusion over every booking row (`ex_endpoint_bookings_no_overlap`,
~60 % of the series' time), statement-level triggers on `endpoint_bookings` (and on
`meetings.series_id`) keep `endpoint_holds`: per holder (the series' id, or minus the meeting's
id for a meeting outside a series) and endpoint, the tstzmultirange of its active bookings,
under `EXCLUDE USING gist (endpoint_id WITH =, during WITH &&)`. The union would merge two
overlapping bookings of one holder silently, so the trigger refuses (SQLSTATE 23P01, constraint
`ex_endpoint_holds_no_overlap`) any change after which a hold is shorter than the sum of its
bookings. Writers of one holder are serialised by a transaction advisory lock (1701, holder),
so each reads the other's committed hold. The foreign key `endpoint_bookings.unit_id -> units`
goes too (it repeats what the endpoint names; units are never deleted). SQLite is untouched
(its writer lock and the booking's check keep the invariant there).

Revision ID: 0010_series
Revises: 0009_followup
"""
from alembic import op

revision = "0010_series"
down_revision = "0009_followup"
branch_labels = None
depends_on = None

UNIT_FK = "fk_endpoint_bookings_unit_id_units"

HOLDS = """
-- what one statement does to one hold: the ranges of active bookings leaving it (gone) and
-- entering it (came), with the length of came's bookings counted one by one
CREATE TYPE endpoint_hold_change AS (holder integer, endpoint_id integer, gone tstzmultirange,
                                     came tstzmultirange, came_seconds numeric);

-- per holder (a series' id, or minus a single meeting's id) and endpoint: its active bookings' union
CREATE TABLE endpoint_holds (
    holder integer NOT NULL,
    endpoint_id integer NOT NULL,
    during tstzmultirange NOT NULL,
    CONSTRAINT pk_endpoint_holds PRIMARY KEY (holder, endpoint_id),
    CONSTRAINT ex_endpoint_holds_no_overlap EXCLUDE USING gist (endpoint_id WITH =, during WITH &&)
);

CREATE FUNCTION endpoint_hold_seconds(m tstzmultirange) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT coalesce(sum(extract(epoch FROM upper(r) - lower(r))), 0) FROM unnest(m) r $$;

CREATE FUNCTION endpoint_holds_apply(changes endpoint_hold_change[]) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    clash record;
BEGIN
    IF coalesce(cardinality(changes), 0) = 0 THEN
        RETURN;
    END IF;
    -- one writer per holder at a time (in holder order); the statement below then reads the hold
    -- as the previous writer committed it (READ COMMITTED: a fresh snapshot per statement)
    PERFORM pg_advisory_xact_lock(1701, s.holder)
       FROM (SELECT DISTINCT c.holder FROM unnest(changes) c ORDER BY 1) s;
    WITH merged AS (
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

-- The statement trigger of both tables: the rows (holder, endpoint_id, start_at, end_at, added)
-- that leave or enter a hold, grouped per hold, applied. Transition tables are visible only in
-- the trigger's own function, hence the query assembled here rather than a function per case.
CREATE FUNCTION endpoint_holds_sync() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    moved text;
    changed CONSTANT text := '(o.meeting_id, o.endpoint_id, o.start_at, o.end_at, o.active)
                              IS DISTINCT FROM (n.meeting_id, n.endpoint_id, n.start_at, n.end_at, n.active)';
BEGIN
    IF TG_TABLE_NAME = 'meetings' THEN  -- a meeting changes series: its bookings change holds
        moved := 'SELECT CASE WHEN x.added THEN coalesce(n.series_id, -n.id)
                              ELSE coalesce(o.series_id, -o.id) END AS holder,
                         b.endpoint_id, b.start_at, b.end_at, x.added
                    FROM old_rows o JOIN new_rows n ON n.id = o.id
                    JOIN endpoint_bookings b ON b.meeting_id = o.id AND b.active
                   CROSS JOIN (VALUES (false), (true)) x(added)
                   WHERE o.series_id IS DISTINCT FROM n.series_id';
    ELSE
        moved := CASE TG_OP
            WHEN 'INSERT' THEN
                'SELECT meeting_id, endpoint_id, start_at, end_at, true AS added FROM new_rows WHERE active'
            WHEN 'DELETE' THEN
                'SELECT meeting_id, endpoint_id, start_at, end_at, false AS added FROM old_rows WHERE active'
            ELSE
                'SELECT o.meeting_id, o.endpoint_id, o.start_at, o.end_at, false AS added
                   FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.active AND ' || changed || '
                 UNION ALL
                 SELECT n.meeting_id, n.endpoint_id, n.start_at, n.end_at, true
                   FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE n.active AND ' || changed
            END;
        moved := 'SELECT coalesce(m.series_id, -m.id) AS holder, x.endpoint_id, x.start_at, x.end_at, x.added
                    FROM (' || moved || ') x JOIN meetings m ON m.id = x.meeting_id';
    END IF;
    EXECUTE 'SELECT endpoint_holds_apply(ARRAY(
                 SELECT ROW(r.holder, r.endpoint_id,
                            range_agg(tstzrange(r.start_at, r.end_at, ''[)'')) FILTER (WHERE NOT r.added),
                            range_agg(tstzrange(r.start_at, r.end_at, ''[)'')) FILTER (WHERE r.added),
                            coalesce(sum(extract(epoch FROM r.end_at - r.start_at)) FILTER (WHERE r.added), 0)
                           )::endpoint_hold_change
                   FROM (' || moved || ') r GROUP BY r.holder, r.endpoint_id))';
    RETURN NULL;
END $fn$;

CREATE TRIGGER tr_endpoint_bookings_hold_insert AFTER INSERT ON endpoint_bookings
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION endpoint_holds_sync();

CREATE TRIGGER tr_endpoint_bookings_hold_update AFTER UPDATE ON endpoint_bookings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION endpoint_holds_sync();

CREATE TRIGGER tr_endpoint_bookings_hold_delete AFTER DELETE ON endpoint_bookings
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION endpoint_holds_sync();

CREATE TRIGGER tr_meetings_series_hold AFTER UPDATE ON meetings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION endpoint_holds_sync();
"""

BACKFILL = """
INSERT INTO endpoint_holds (holder, endpoint_id, during)
SELECT coalesce(m.series_id, -m.id), b.endpoint_id, range_agg(tstzrange(b.start_at, b.end_at, '[)'))
  FROM endpoint_bookings b JOIN meetings m ON m.id = b.meeting_id
 WHERE b.active
 GROUP BY 1, 2
"""

DROP_HOLDS = (
    "DROP TRIGGER tr_meetings_series_hold ON meetings",
    "DROP TRIGGER tr_endpoint_bookings_hold_insert ON endpoint_bookings",
    "DROP TRIGGER tr_endpoint_bookings_hold_update ON endpoint_bookings",
    "DROP TRIGGER tr_endpoint_bookings_hold_delete ON endpoint_bookings",
    "DROP FUNCTION endpoint_holds_sync()",
    "DROP FUNCTION endpoint_holds_apply(endpoint_hold_change[])",
    "DROP FUNCTION endpoint_hold_seconds(tstzmultirange)",
    "DROP TABLE endpoint_holds",
    "DROP TYPE endpoint_hold_change",
)


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE endpoint_bookings DROP CONSTRAINT ex_endpoint_bookings_no_overlap")
    for statement in HOLDS.strip().split(";\n\n"):  # one statement per execute
        op.execute(statement)
    op.execute(BACKFILL)
    op.drop_constraint(UNIT_FK, "endpoint_bookings", type_="foreignkey")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_foreign_key(UNIT_FK, "endpoint_bookings", "units", ["unit_id"], ["id"])
    for statement in DROP_HOLDS:
        op.execute(statement)
    op.execute(
        "ALTER TABLE endpoint_bookings ADD CONSTRAINT ex_endpoint_bookings_no_overlap "
        "EXCLUDE USING gist (endpoint_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&) "
        "WHERE (active)"
    )
