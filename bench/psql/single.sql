BEGIN;
INSERT INTO meetings (uid, title, category, organizer_id, mode, start_at, end_at, bridge_id, ports,
  status, revision, recorded_after, created_at, updated_at)
SELECT 'bench-single', 'Họp', 'giao_ban', (SELECT id FROM units WHERE level='city'), 'online',
  timestamptz '2027-03-01 01:00+00', timestamptz '2027-03-01 03:00+00', (SELECT max(id) FROM bridges), 532, 'scheduled', 0, false, now(), now();
CREATE TEMP TABLE bench_eps AS SELECT min(id) AS id, unit_id FROM endpoints
  WHERE status IN ('installed','ready') AND unit_id IN (SELECT id FROM units WHERE level IN ('district','commune')) GROUP BY unit_id;
EXPLAIN (ANALYZE, COSTS off) INSERT INTO endpoint_bookings (meeting_id, endpoint_id, unit_id, start_at, end_at, active)
  SELECT m.id, e.id, e.unit_id, m.start_at, m.end_at, true FROM meetings m CROSS JOIN bench_eps e WHERE m.uid = 'bench-single';
ROLLBACK;
