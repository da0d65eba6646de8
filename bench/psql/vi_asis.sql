BEGIN;
\ir setup.sql
\ir ins_i.sql
ROLLBACK;
