-- Marketplace feeds (runner/feeds/): definitions in channels.feeds, items from the channel
-- functions of db/functions/channels/.

-- name: feed_add
-- define a feed; defaults and checks are channels.feed_add's
select channels.feed_add(%(shop_id)s, %(channel)s, %(language)s, %(currency)s, %(settings)s::jsonb) as feed_id;

-- name: feed_list
-- feeds, optionally of one shop, with the state of their last build
select f.feed_id, f.shop_id, f.channel, f.language, f.currency, f.token, f.built_at, f.items,
       f.excluded_items, f.invalid_items, f.size_bytes, f.build_seconds, f.last_error, f.last_failed_at
from channels.feeds f
where %(shop_id)s::bigint is null or f.shop_id = %(shop_id)s
order by f.shop_id, f.channel, f.feed_id;

-- name: feed_get
-- one feed with its rules and last problems
select f.feed_id, f.shop_id, f.channel, f.language, f.currency, f.settings, f.token, f.created_at, f.built_at,
       f.etag, f.size_bytes, f.items, f.excluded_items, f.invalid_items, f.build_seconds, f.problems,
       f.last_error, f.last_failed_at
from channels.feeds f
where f.feed_id = %(feed_id)s;

-- name: feed_select
-- the feeds a build or check is about: one feed, or those of a shop / channel (null: any)
select f.feed_id, f.shop_id, f.channel, f.language, f.currency, f.token, f.etag
from channels.feeds f
where (%(feed_id)s::bigint is null or f.feed_id = %(feed_id)s)
  and (%(shop_id)s::bigint is null or f.shop_id = %(shop_id)s)
  and (%(channel)s::text is null or f.channel = %(channel)s)
order by f.shop_id, f.channel = 'heureka-availability', f.feed_id;

-- name: feed_remove
-- forget a feed; returns it (its files are removed by the runner)
delete from channels.feeds where feed_id = %(feed_id)s returning feed_id, shop_id, channel;

-- name: feed_by_token
-- the web app: the published feed behind a URL token
select f.feed_id, f.channel, f.etag, f.built_at, f.size_bytes
from channels.feeds f
where f.token = %(token)s;

-- name: feed_published
-- a build passed its checks and its file replaced the previous one
update channels.feeds set
    built_at = %(built_at)s, etag = %(etag)s, size_bytes = %(size_bytes)s, items = %(items)s,
    excluded_items = %(excluded)s, invalid_items = %(invalid)s, build_seconds = %(seconds)s,
    problems = %(problems)s::jsonb, last_error = null
where feed_id = %(feed_id)s;

-- name: feed_failed
-- a build failed its checks: the previous file stays; why is kept
update channels.feeds set
    last_error = %(error)s, last_failed_at = now(), problems = %(problems)s::jsonb
where feed_id = %(feed_id)s;

-- name: feeds_due
-- the feeds the worker rebuilds now (schedule, debounced catalogue changes)
select feed_id, shop_id, channel, reason from channels.feeds_due(now());

-- name: items_settings
-- before an items query, in its transaction: no JIT. The channel functions are inlined into the
-- query (so rows stream); compiling their wide expressions costs far more than it saves
-- (13 k items: 8 s -> 45 s when it was tried)
select set_config('jit', 'off', true);

-- name: items_heureka
-- the columns the writer reads (stock and delivery_days are the availability feed's: the planner
-- then does not compute them, and they are not sent)
select item_id, productname, description, url, imgurl, imgurl_alternative, price_vat, heureka_cpc, manufacturer,
       categorytext, ean, productno, params, delivery_date, delivery, itemgroup_id, excluded, problems
from channels.heureka_items(%(feed_id)s, (%(now)s::timestamptz at time zone core.shop_timezone(%(shop_id)s))::date);

-- name: items_heureka_availability
select * from channels.heureka_availability_items(%(feed_id)s, %(now)s::timestamptz);

-- name: items_zbozi
select * from channels.zbozi_items(%(feed_id)s, (%(now)s::timestamptz at time zone core.shop_timezone(%(shop_id)s))::date);

-- name: items_google
select * from channels.google_items(%(feed_id)s, (%(now)s::timestamptz at time zone core.shop_timezone(%(shop_id)s))::date);

-- name: storefront
-- the shop's storefront (Google's channel title and link)
select s.web_url, sh.name
from core.shops sh
left join channels.shop_storefronts s on s.shop_id = sh.shop_id
where sh.shop_id = %(shop_id)s;

-- name: offer_feed_of_shop
-- the Heureka offer feed whose ITEM_IDs an availability feed of the shop must be within
select f.feed_id from channels.feeds f
where f.shop_id = %(shop_id)s and f.channel = 'heureka' and f.built_at is not null
order by f.feed_id limit 1;
