-- a series of 366 daily occurrences from 2027-01-01 08:00 Hanoi, the meetings only
\timing off
INSERT INTO series (uid, rrule, dtstart_local, duration_minutes, timezone, revision, created_at)
VALUES ('bench-series@x', 'FREQ=DAILY;COUNT=366', '2027-01-01 08:00', 120, 'Asia/Ho_Chi_Minh', 0, now());
INSERT INTO meetings (uid, title, category, organizer_id, mode, start_at, end_at, bridge_id, ports,
  status, revision, series_id, recurrence_id, recorded_after, created_at, updated_at)
SELECT 'bench-' || g, 'Giao ban bench', 'giao_ban', (SELECT id FROM units WHERE level='city'), 'online',
  timestamptz '2027-01-01 01:00+00' + g * interval '1 day', timestamptz '2027-01-01 03:00+00' + g * interval '1 day',
  (SELECT max(id) FROM bridges), 532, 'scheduled', 0, (SELECT id FROM series WHERE uid='bench-series@x'),
  timestamptz '2027-01-01 01:00+00' + g * interval '1 day', false, now(), now()
FROM generate_series(0, 365) g;
CREATE TEMP TABLE bench_eps AS SELECT min(id) AS id, unit_id FROM endpoints
  WHERE status IN ('installed','ready') AND unit_id IN (SELECT id FROM units WHERE level IN ('district','commune')) GROUP BY unit_id;
CREATE TEMP TABLE bench_units AS SELECT id FROM units WHERE level IN ('district','commune');
SELECT (SELECT count(*) FROM bench_eps) eps, (SELECT count(*) FROM bench_units) units;
\timing on
