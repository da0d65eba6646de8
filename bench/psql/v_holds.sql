BEGIN;
\ir migrate_holds.sql
\ir setup.sql
\ir ins_b.sql
ROLLBACK;
