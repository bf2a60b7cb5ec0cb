/*
 * ops.histogram_quantile(p_q, p_bounds, p_counts): the p_q-quantile (0..1) of the values counted
 * in p_counts over the buckets of the ascending upper bounds p_bounds (as ops.histogram makes
 * them), estimated as Prometheus's histogram_quantile() does: find the bucket holding the rank
 * p_q * total, and interpolate linearly between its lower bound (0 for the first bucket) and its
 * upper bound. In the bucket above the last bound, the last bound is returned (the histogram
 * cannot say more). Null when nothing was counted. Unit: that of the bounds (seconds).
 * Source: prometheus/promql/quantile.go, bucketQuantile.
 */
create or replace function ops.histogram_quantile(p_q double precision, p_bounds double precision[], p_counts bigint[])
returns double precision
language sql
immutable
parallel safe
set search_path = pg_catalog
as $$
    with bucket as (
        select c.i, c.n, p_bounds[c.i] as upper, coalesce(p_bounds[c.i - 1], 0) as lower,
               sum(c.n) over (order by c.i) as cumulative,
               sum(c.n) over () as total
        from unnest(p_counts) with ordinality as c(n, i)
    ),
    hit as (
        select * from bucket
        where total > 0 and cumulative >= p_q * total and n > 0
        order by i
        limit 1
    )
    select case when hit.upper is null then p_bounds[cardinality(p_bounds)]
                else hit.lower + (hit.upper - hit.lower) * (p_q * hit.total - (hit.cumulative - hit.n)) / hit.n end
    from hit;
$$;

comment on function ops.histogram_quantile(double precision, double precision[], bigint[]) is
    'Estimated p_q-quantile (0..1) of a per-bucket count histogram over ascending upper bounds, interpolated within '
    'the bucket as Prometheus histogram_quantile does; the last bound for the overflow bucket; null when empty';
