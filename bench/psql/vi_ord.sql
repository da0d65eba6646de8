BEGIN;
\ir setup.sql
\ir ins_i_ord.sql
ROLLBACK;
