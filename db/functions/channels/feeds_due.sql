/*
 * channels.feeds_due(p_now): the feeds the worker should rebuild now (runner/feeds/tasks via
 * runner/tasks.py, every minute), with why: 'never built'; 'schedule' when the last published
 * build is older than setting feeds.rebuild_minutes (per shop, else global, default 60);
 * 'catalogue changed' when a product or variant of the shop was written (synced_at) after the
 * last build and the catalogue has been quiet for setting feeds.debounce_minutes (default 5) —
 * a burst of changes gives one rebuild after it ends, and at the latest one per
 * feeds.rebuild_minutes. A feed whose last build failed less than feeds.debounce_minutes ago
 * waits (a failing feed does not rebuild every minute).
 */
create or replace function channels.feeds_due(p_now timestamptz default now())
returns table (feed_id bigint, shop_id bigint, channel text, reason text)
language sql
stable
set search_path = pg_catalog
as $$
    with f as (
        select fe.feed_id, fe.shop_id, fe.channel, fe.built_at, fe.last_failed_at,
               make_interval(mins => coalesce(core.setting_number('feeds.rebuild_minutes', fe.shop_id), 60)::integer) as every,
               make_interval(mins => coalesce(core.setting_number('feeds.debounce_minutes', fe.shop_id), 5)::integer) as quiet
        from channels.feeds fe
    ),
    changed as (
        select s.shop_id,
               greatest((select max(p.synced_at) from catalog.products p where p.shop_id = s.shop_id),
                        (select max(v.synced_at) from catalog.variants v where v.shop_id = s.shop_id)) as last_change
        from (select distinct f.shop_id from f) s
    )
    select f.feed_id, f.shop_id, f.channel,
           case when f.built_at is null then 'never built'
                when f.built_at < p_now - f.every then 'schedule'
                else 'catalogue changed' end
    from f
    join changed c on c.shop_id = f.shop_id
    where (f.last_failed_at is null or f.last_failed_at < p_now - f.quiet)
      and (f.built_at is null
           or f.built_at < p_now - f.every
           or (c.last_change > f.built_at and c.last_change < p_now - f.quiet))
    order by f.feed_id;
$$;

comment on function channels.feeds_due(timestamptz) is
    'Feeds to rebuild now and why: never built, older than feeds.rebuild_minutes (default 60), or catalogue written after '
    'the build and quiet for feeds.debounce_minutes (default 5); a feed that failed within the debounce waits';
