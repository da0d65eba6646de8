BEGIN;
\ir setup.sql
\ir ins_b.sql
ROLLBACK;
