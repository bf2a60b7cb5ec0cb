/*
 * analytics.tag_metrics(): the metrics a tag rule may test: every column of
 * analytics.customer_metrics except shop_id, read from the catalog (a column added later is
 * taggable at once), with its SQL type, the kind of JSON value a rule compares it with and the
 * operators it allows:
 *   number   (numeric, integer, ...)  JSON number        = != < <= > >= in, not in, between, is null, is not null
 *   text                              JSON string        the same
 *   time     (timestamptz, date)      "YYYY-MM-DD" (that day's start in the shop's time zone),
 *                                     an ISO timestamp with offset ("2026-04-01T10:00:00+02:00"),
 *                                     or {"days_ago": n} (now minus n days)
 *                                                        = != < <= > >= between, is null, is not null
 *   boolean                           JSON true / false  = != is null, is not null
 *   other    (uuid, ...)              JSON string castable to the type   = != in, not in, is null, is not null
 */
create or replace function analytics.tag_metrics()
returns table (metric text, sql_type text, value_kind text, operators text[])
language sql
stable
set search_path = pg_catalog
as $$
    select a.attname::text,
           format_type(a.atttypid, a.atttypmod),
           k.kind,
           case k.kind
               when 'number' then array['=', '!=', '<', '<=', '>', '>=', 'in', 'not in', 'between', 'is null', 'is not null']
               when 'text' then array['=', '!=', '<', '<=', '>', '>=', 'in', 'not in', 'between', 'is null', 'is not null']
               when 'time' then array['=', '!=', '<', '<=', '>', '>=', 'between', 'is null', 'is not null']
               when 'boolean' then array['=', '!=', 'is null', 'is not null']
               else array['=', '!=', 'in', 'not in', 'is null', 'is not null']
           end
    from pg_attribute a
    join pg_type t on t.oid = a.atttypid
    cross join lateral (select case
        when t.typcategory = 'N' then 'number'
        when t.typcategory = 'S' then 'text'
        when a.atttypid in ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype) then 'time'
        when t.typcategory = 'B' then 'boolean'
        else 'other' end as kind) k
    where a.attrelid = 'analytics.customer_metrics'::regclass
      and a.attnum > 0
      and not a.attisdropped
      and a.attname <> 'shop_id'
    order by a.attnum
$$;

comment on function analytics.tag_metrics() is
    'Columns of analytics.customer_metrics a tag rule may test (all but shop_id, from the catalog): (metric, sql_type, value_kind number|text|time|boolean|other, operators)';
