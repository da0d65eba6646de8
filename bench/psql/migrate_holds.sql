ALTER TABLE endpoint_bookings DROP CONSTRAINT ex_endpoint_bookings_no_overlap;
\ir holds.sql
\timing on
INSERT INTO endpoint_holds (holder, endpoint_id, during)
SELECT coalesce(m.series_id, -m.id), b.endpoint_id, range_agg(tstzrange(b.start_at, b.end_at, '[)'))
  FROM endpoint_bookings b JOIN meetings m ON m.id = b.meeting_id WHERE b.active GROUP BY 1, 2;
\timing off
