EXPLAIN (ANALYZE, COSTS off) INSERT INTO invitations (meeting_id, unit_id, response, confirmed_before_start)
  SELECT m.id, u.id, 'pending', false FROM meetings m CROSS JOIN bench_units u WHERE m.series_id = (SELECT id FROM series WHERE uid='bench-series@x');
