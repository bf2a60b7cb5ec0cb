/*
 * ops.histogram_add(p_a, p_b): two histograms of the same buckets added element by element (a
 * missing element counts 0, so a histogram that gained a bucket still adds up).
 */
create or replace function ops.histogram_add(p_a bigint[], p_b bigint[])
returns bigint[]
language sql
immutable
parallel safe
set search_path = pg_catalog
as $$
    select array_agg(coalesce(x.a, 0) + coalesce(x.b, 0) order by x.i)
    from unnest(p_a, p_b) with ordinality as x(a, b, i);
$$;

comment on function ops.histogram_add(bigint[], bigint[]) is
    'Element-wise sum of two per-bucket count arrays (missing elements count 0)';
