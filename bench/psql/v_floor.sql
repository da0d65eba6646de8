BEGIN;
ALTER TABLE endpoint_bookings DROP CONSTRAINT ex_endpoint_bookings_no_overlap;
ALTER TABLE endpoint_bookings DROP CONSTRAINT fk_endpoint_bookings_unit_id_units;
ALTER TABLE endpoint_bookings DROP CONSTRAINT fk_endpoint_bookings_meeting_id_meetings;
ALTER TABLE endpoint_bookings DROP CONSTRAINT fk_endpoint_bookings_endpoint_id_endpoints;
\ir setup.sql
\ir ins_b.sql
ROLLBACK;
