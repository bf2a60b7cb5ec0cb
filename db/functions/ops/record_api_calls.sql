/*
 * ops.record_api_calls(p_shop_ids, p_statuses, p_at, p_seconds): add Shoptet API calls, one per
 * array position (shop eshopId, HTTP status or 0 for no answer, when it was answered, duration
 * in seconds), to the per-minute figures (ops.api_calls) and to the totals
 * (ops.api_call_totals), set-based in one statement. runner/telemetry.py calls it every few
 * seconds with what a process buffered. Arrays of unequal length are an error. Returns the
 * number of calls added.
 */
create or replace function ops.record_api_calls(
    p_shop_ids bigint[],
    p_statuses integer[],
    p_at timestamptz[],
    p_seconds double precision[]
)
returns bigint
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_calls bigint;
begin
    if cardinality(p_shop_ids) is distinct from cardinality(p_statuses)
       or cardinality(p_shop_ids) is distinct from cardinality(p_at)
       or cardinality(p_shop_ids) is distinct from cardinality(p_seconds) then
        raise exception 'ops.record_api_calls: arrays of unequal length (shop_ids %, statuses %, at %, seconds %)',
            cardinality(p_shop_ids), cardinality(p_statuses), cardinality(p_at), cardinality(p_seconds)
            using errcode = '22023';
    end if;

    with call as (
        select c.shop_id, c.status::smallint as status, date_trunc('minute', c.at) as minute,
               greatest(c.seconds, 0) as seconds
        from unnest(p_shop_ids, p_statuses, p_at, p_seconds) as c(shop_id, status, at, seconds)
    ),
    per_minute as (
        select shop_id, minute, status, count(*) as calls, sum(seconds) as seconds_sum, max(seconds) as seconds_max,
               ops.histogram(ops.api_call_buckets(), array_agg(seconds)) as bucket_counts
        from call
        group by shop_id, minute, status
    ),
    minutes as (
        insert into ops.api_calls as a (shop_id, minute, status, calls, seconds_sum, seconds_max, bucket_counts)
        select shop_id, minute, status, calls, seconds_sum, seconds_max, bucket_counts from per_minute
        on conflict (shop_id, minute, status) do update
            set calls = a.calls + excluded.calls,
                seconds_sum = a.seconds_sum + excluded.seconds_sum,
                seconds_max = greatest(a.seconds_max, excluded.seconds_max),
                bucket_counts = ops.histogram_add(a.bucket_counts, excluded.bucket_counts)
    ),
    per_status as (
        select shop_id, status, count(*) as calls, sum(seconds) as seconds_sum,
               ops.histogram(ops.api_call_buckets(), array_agg(seconds)) as bucket_counts
        from call
        group by shop_id, status
    ),
    totals as (
        insert into ops.api_call_totals as t (shop_id, status, calls, seconds_sum, bucket_counts)
        select shop_id, status, calls, seconds_sum, bucket_counts from per_status
        on conflict (shop_id, status) do update
            set calls = t.calls + excluded.calls,
                seconds_sum = t.seconds_sum + excluded.seconds_sum,
                bucket_counts = ops.histogram_add(t.bucket_counts, excluded.bucket_counts)
    )
    select coalesce(sum(calls), 0) into v_calls from per_status;
    return v_calls;
end
$$;

comment on function ops.record_api_calls(bigint[], integer[], timestamptz[], double precision[]) is
    'Add Shoptet API calls (parallel arrays: shop, HTTP status or 0, answered at, seconds) to ops.api_calls and '
    'ops.api_call_totals in one statement; returns the calls added; unequal arrays raise 22023';
