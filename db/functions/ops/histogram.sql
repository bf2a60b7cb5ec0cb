/*
 * ops.histogram(p_bounds, p_values): how many of p_values fall in each bucket of the ascending
 * upper bounds p_bounds -- element i counts values v with p_bounds[i-1] < v <= p_bounds[i] (a
 * Prometheus bucket's `le`), and one more element counts values above the last bound. Nulls are
 * not counted. Returns cardinality(p_bounds) + 1 counts (not cumulative).
 */
create or replace function ops.histogram(p_bounds double precision[], p_values double precision[])
returns bigint[]
language sql
immutable
parallel safe
set search_path = pg_catalog
as $$
    with bucket as (
        select b.i, b.le, lag(b.le) over (order by b.i) as above
        from unnest(p_bounds || 'infinity'::double precision) with ordinality as b(le, i)
    )
    select array_agg(
        (select count(*) from unnest(p_values) v where v <= bucket.le and (bucket.above is null or v > bucket.above))
        order by bucket.i)
    from bucket;
$$;

comment on function ops.histogram(double precision[], double precision[]) is
    'Counts of p_values per bucket of the ascending upper bounds p_bounds (le semantics), plus one for values above '
    'the last bound: bigint[] of cardinality(p_bounds) + 1, not cumulative';
