/*
 * channels.feed_add(p_shop_id, p_channel, p_language, p_currency, p_settings): define a feed
 * (`hub feed add`); returns its feed_id. Defaults: the shop's default language and currency
 * (channels.shop_storefronts; 'cs' / 'CZK' when GET /api/eshop was never read), no rules
 * beyond the marketplace flags ('{}').
 * Raises (SQLSTATE 22023, the message names the value) for an unknown shop or channel, rules
 * channels.feed_settings_check finds fault with, a language the catalogue does not hold (it keeps
 * the shop's default language only), a currency with no exchange rate (neither the shop's
 * currencies nor settings.exchange_rate), and (23505) the same shop/channel/language/currency twice.
 */
create or replace function channels.feed_add(
    p_shop_id bigint, p_channel text, p_language text, p_currency text, p_settings jsonb)
returns bigint
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_sf channels.shop_storefronts;
    v_problems text[];
    v_language text;
    v_currency text;
    v_id bigint;
begin
    if not exists (select from core.shops where shop_id = p_shop_id) then
        raise exception 'shop %: no such shop (hub shop list)', p_shop_id using errcode = '22023';
    end if;
    if p_channel is null or p_channel not in ('heureka', 'heureka-availability', 'zbozi', 'google') then
        raise exception 'channel %: expected heureka, heureka-availability, zbozi or google', coalesce(p_channel, 'null')
            using errcode = '22023';
    end if;
    v_problems := channels.feed_settings_check(p_channel, coalesce(p_settings, '{}'));
    if cardinality(v_problems) > 0 then
        raise exception 'rules of the % feed of shop %: %', p_channel, p_shop_id, array_to_string(v_problems, '; ')
            using errcode = '22023';
    end if;
    select * into v_sf from channels.shop_storefronts where shop_id = p_shop_id;
    v_language := lower(coalesce(nullif(btrim(p_language), ''), v_sf.language, 'cs'));
    v_currency := upper(coalesce(nullif(btrim(p_currency), ''), v_sf.currency, 'CZK'));
    if v_language <> lower(coalesce(v_sf.language, 'cs')) then
        raise exception 'language %: the catalogue of shop % holds its default language % only', v_language, p_shop_id,
            coalesce(v_sf.language, 'cs') using errcode = '22023';
    end if;
    if v_currency !~ '^[A-Z]{3}$' then
        raise exception 'currency %: expected a three-letter ISO code such as CZK or EUR', v_currency using errcode = '22023';
    end if;
    if v_currency <> coalesce(v_sf.currency, 'CZK') and not coalesce(v_sf.currencies ? v_currency, false)
       and not coalesce(p_settings ? 'exchange_rate', false) then
        raise exception 'currency %: shop % has no exchange rate for it (GET /api/eshop currencies; hub shop refresh %), '
                        'give one as settings.exchange_rate', v_currency, p_shop_id, p_shop_id using errcode = '22023';
    end if;
    insert into channels.feeds (shop_id, channel, language, currency, settings)
    values (p_shop_id, p_channel, v_language, v_currency, coalesce(p_settings, '{}'))
    returning feed_id into v_id;
    return v_id;
exception when unique_violation then
    raise exception 'shop % already has a % feed in % / %: hub feed list --shop %', p_shop_id, p_channel, v_language,
        v_currency, p_shop_id using errcode = '23505';
end
$$;

comment on function channels.feed_add(bigint, text, text, text, jsonb) is
    'Define a feed (hub feed add) with defaults from channels.shop_storefronts; returns feed_id. Raises 22023 for an unknown '
    'shop/channel, bad rules, another language than the catalogue''s, a currency without exchange rate; 23505 for a duplicate';
