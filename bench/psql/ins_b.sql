EXPLAIN (ANALYZE, COSTS off) INSERT INTO endpoint_bookings (meeting_id, endpoint_id, unit_id, start_at, end_at, active)
  SELECT m.id, e.id, e.unit_id, m.start_at, m.end_at, true FROM meetings m CROSS JOIN bench_eps e WHERE m.series_id = (SELECT id FROM series WHERE uid='bench-series@x');
