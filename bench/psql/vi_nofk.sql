BEGIN;
ALTER TABLE invitations DROP CONSTRAINT fk_invitations_meeting_id_meetings;
ALTER TABLE invitations DROP CONSTRAINT fk_invitations_unit_id_units;
ALTER TABLE invitations DROP CONSTRAINT fk_invitations_responded_by_id_users;
\ir setup.sql
\ir ins_i.sql
ROLLBACK;
