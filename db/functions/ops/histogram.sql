/*
 * ops.histogram(p_bounds, p_values): how many of p_values fall in each bucket of the ascending
 * upper bounds p_bounds -- element i counts values v with p_bounds[i-1] < v <= p_bounds[i] (a
 * Prometheus bucket's `le`), and one more element counts values above the last bound. Nulls are
 * not counted. Returns cardinality(p_bounds) + 1 counts (not cumulative). One pass over the
 * values: width_bucket() finds the bound at or below each (a binary search); a value equal to a
 * bound belongs to that bound's bucket.
 */
create or replace function ops.histogram(p_bounds double precision[], p_values double precision[])
returns bigint[]
language sql
immutable
parallel safe
set search_path = pg_catalog
as $$
    with placed as (
        select width_bucket(v, p_bounds) as below, v from unnest(p_values) v where v is not null
    ),
    counted as (
        select below + 1 - (case when below > 0 and p_bounds[below] = v then 1 else 0 end) as i, count(*) as n
        from placed
        group by 1
    )
    select array_agg(coalesce(c.n, 0) order by b.i)
    from generate_series(1, cardinality(p_bounds) + 1) as b(i)
    left join counted c on c.i = b.i;
$$;

comment on function ops.histogram(double precision[], double precision[]) is
    'Counts of p_values per bucket of the ascending upper bounds p_bounds (le semantics), plus one for values above '
    'the last bound: bigint[] of cardinality(p_bounds) + 1, not cumulative';
