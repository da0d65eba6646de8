BEGIN;
\ir setup.sql
\ir ins_i.sql
\ir ins_b.sql
ROLLBACK;
