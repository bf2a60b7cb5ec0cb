/*
 * ops.slow_statements: the 10 slowest statements of this database by mean time per call and
 * the 10 that took most time in total (ops.pg_stat_statements_top(10)); one row with
 * available = false and a note where pg_stat_statements is not loaded. Reset the figures with
 * `select pg_stat_statements_reset()` (superuser) after a fix to see its effect.
 */
create or replace view ops.slow_statements as
select * from ops.pg_stat_statements_top(10);

comment on view ops.slow_statements is
    'Top 10 statements by mean and by total execution time (ms) from pg_stat_statements; available = false and a '
    'note when it is not loaded';
