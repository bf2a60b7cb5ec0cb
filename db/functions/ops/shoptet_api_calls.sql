/*
 * ops.shoptet_api_calls: Shoptet API calls per shop over the last hour (ops.api_calls, the 60
 * minutes up to now): calls, calls per HTTP status (jsonb {"200": n, ...}; "0": no answer),
 * 429s (Shoptet's rate limit: the client waited and retried), 5xx or no answer, other 4xx,
 * latency percentiles in seconds estimated from the histogram (ops.histogram_quantile) and the
 * longest call. Every HTTP attempt counts, retries included.
 */
create or replace view ops.shoptet_api_calls as
with recent as (
    select a.* from ops.api_calls a where a.minute > now() - interval '1 hour'
),
per_status as (
    select r.shop_id, r.status, sum(r.calls) as calls from recent r group by r.shop_id, r.status
),
per_bucket as (
    select r.shop_id, b.i, sum(b.n) as n
    from recent r
    cross join lateral unnest(r.bucket_counts) with ordinality as b(n, i)
    group by r.shop_id, b.i
),
histogram as (
    select p.shop_id, array_agg(p.n::bigint order by p.i) as bucket_counts from per_bucket p group by p.shop_id
),
per_shop as (
    select r.shop_id, sum(r.calls) as calls,
           coalesce(sum(r.calls) filter (where r.status = 429), 0) as rate_limited,
           coalesce(sum(r.calls) filter (where r.status >= 500 or r.status = 0), 0) as server_errors,
           coalesce(sum(r.calls) filter (where r.status between 400 and 499 and r.status <> 429), 0) as client_errors,
           sum(r.seconds_sum) / nullif(sum(r.calls), 0) as mean_seconds,
           max(r.seconds_max) as max_seconds
    from recent r
    group by r.shop_id
)
select p.shop_id, s.name as shop_name, p.calls,
       (select jsonb_object_agg(x.status::text, x.calls) from per_status x where x.shop_id = p.shop_id) as by_status,
       p.rate_limited, p.server_errors, p.client_errors,
       p.mean_seconds,
       ops.histogram_quantile(0.5, ops.api_call_buckets(), h.bucket_counts) as p50_seconds,
       ops.histogram_quantile(0.95, ops.api_call_buckets(), h.bucket_counts) as p95_seconds,
       ops.histogram_quantile(0.99, ops.api_call_buckets(), h.bucket_counts) as p99_seconds,
       p.max_seconds
from per_shop p
join histogram h on h.shop_id = p.shop_id
left join core.shops s on s.shop_id = p.shop_id;

comment on view ops.shoptet_api_calls is
    'Shoptet API calls per shop in the last hour: calls, per HTTP status, 429s, errors, latency p50/p95/p99 and max (seconds)';
comment on column ops.shoptet_api_calls.p95_seconds is
    'Estimated from the latency histogram (ops.api_call_buckets bounds), interpolated within a bucket';
