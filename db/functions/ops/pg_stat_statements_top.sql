/*
 * ops.pg_stat_statements_top(p_limit): the statements of this database that took most time,
 * from pg_stat_statements: the p_limit slowest by mean time per call (ranked_by 'mean') and the
 * p_limit that took most time in total (ranked_by 'total'); times in milliseconds. When the
 * extension is not installed in the database, or not loaded (it must be in
 * shared_preload_libraries, and the server restarted -- the embedded cluster is set up so; an
 * external server may not be), one row with available = false and a note saying what to do,
 * instead of an error. Query texts of other roles' statements read '<insufficient privilege>'
 * unless the caller has pg_read_all_stats (hub_readonly has).
 */
create or replace function ops.pg_stat_statements_top(p_limit integer default 10)
returns table (
    available boolean,
    ranked_by text,
    rank integer,
    queryid bigint,
    role text,
    calls bigint,
    total_ms double precision,
    mean_ms double precision,
    max_ms double precision,
    rows bigint,
    shared_blks_hit bigint,
    shared_blks_read bigint,
    query text,
    note text
)
language plpgsql
stable
set search_path = pg_catalog
as $$
declare
    v_schema text;
begin
    select e.extnamespace::regnamespace::text into v_schema from pg_extension e where e.extname = 'pg_stat_statements';
    if v_schema is null then
        return query select false, null::text, null::integer, null::bigint, null::text, null::bigint,
            null::double precision, null::double precision, null::double precision, null::bigint, null::bigint,
            null::bigint, null::text,
            'pg_stat_statements is not installed in this database: create extension pg_stat_statements '
            '(and load it with shared_preload_libraries)'::text;
        return;
    end if;
    begin
        return query execute format($q$
            with s as (
                select s.queryid, s.userid::regrole::text as role, s.calls, s.total_exec_time, s.mean_exec_time,
                       s.max_exec_time, s.rows, s.shared_blks_hit, s.shared_blks_read, s.query,
                       row_number() over (order by s.mean_exec_time desc) as by_mean,
                       row_number() over (order by s.total_exec_time desc) as by_total
                from %I.pg_stat_statements s
                where s.dbid = (select d.oid from pg_database d where d.datname = current_database())
            )
            select true, r.ranked_by, r.rank::integer, s.queryid, s.role, s.calls, s.total_exec_time,
                   s.mean_exec_time, s.max_exec_time, s.rows, s.shared_blks_hit, s.shared_blks_read, s.query,
                   null::text
            from s
            cross join lateral (values ('mean', s.by_mean), ('total', s.by_total)) as r(ranked_by, rank)
            where r.rank <= $1
            order by r.ranked_by desc, r.rank
        $q$, v_schema) using p_limit;
    exception when object_not_in_prerequisite_state then
        return query select false, null::text, null::integer, null::bigint, null::text, null::bigint,
            null::double precision, null::double precision, null::double precision, null::bigint, null::bigint,
            null::bigint, null::text,
            'pg_stat_statements is not loaded: add it to shared_preload_libraries in postgresql.conf and restart '
            'the server'::text;
    end;
end
$$;

comment on function ops.pg_stat_statements_top(integer) is
    'Statements of this database with the highest mean and total execution time (ms) from pg_stat_statements, '
    'p_limit of each (ranked_by mean / total); one row with available = false and a note when the extension is '
    'not installed or not loaded';
