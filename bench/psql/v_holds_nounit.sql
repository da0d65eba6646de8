BEGIN;
\ir migrate_holds.sql
ALTER TABLE endpoint_bookings DROP CONSTRAINT fk_endpoint_bookings_unit_id_units;
\ir setup.sql
\ir ins_b.sql
ROLLBACK;
