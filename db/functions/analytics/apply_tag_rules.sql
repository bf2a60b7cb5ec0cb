/*
 * analytics.apply_tag_rules(p_shop_id, p_keys, p_tags): evaluate a shop's tag rules
 * (analytics.tag_rules) against its customers' metrics (analytics.customer_metrics) and make
 * analytics.customer_tags say exactly that, set-based: one scan of the metrics for all rules
 * (each condition compiled by analytics.tag_condition_sql; the stored table
 * analytics.customer_metrics_base when no rule tests a figure the view computes on read), one
 * full join with the stored tags, then the tags no longer met deleted (by row id) and the new
 * ones inserted; a tag that still holds is not touched (its tagged_at stays).
 *   p_keys  null: every customer of the shop (a full re-tag; tags of customers who have no
 *           metrics row any more go too); else only these customer keys (as in
 *           analytics.customer_metrics): what the incremental metrics refresh calls for the
 *           customers whose rows it changed (analytics.refresh_customer_keys);
 *   p_tags  null: every rule of the shop, and tags whose rule is gone are removed; else only
 *           these tag names (a rule saved or removed re-tags just its tag: trigger
 *           analytics.tag_rules_retag).
 * Callers: analytics.rebuild_customer_metrics (full), analytics.refresh_customer_keys (changed
 * keys), analytics.resegment_customers (segments changed), the tag_rules trigger; by hand from psql.
 * Under analytics.customer_metrics_lock(shop), so tags follow the metrics they were computed
 * from. Returns {shop_id, rules, tagged, untagged, seconds}. A stored rule that no longer
 * compiles (e.g. its metric column was dropped) raises 22023 naming the rule.
 */
create or replace function analytics.apply_tag_rules(p_shop_id bigint, p_keys text[] default null, p_tags text[] default null)
returns jsonb
language plpgsql
set search_path = pg_catalog
set jit = off
as $$
declare
    v_clock timestamptz := clock_timestamp();
    v_rule record;
    v_cases text[] := '{}';
    v_metrics text[] := '{}';
    v_source text := 'analytics.customer_metrics';
    v_tagged bigint;
    v_untagged bigint;
    v_nestloop text;
begin
    perform analytics.customer_metrics_lock(p_shop_id);
    for v_rule in
        select r.name, r.condition from analytics.tag_rules r
        where r.shop_id = p_shop_id and (p_tags is null or r.name = any (p_tags))
        order by r.name
    loop
        begin
            v_cases := v_cases || format('case when %s then %L end', analytics.tag_condition_sql(v_rule.condition), v_rule.name);
            v_metrics := v_metrics || array(select jsonb_path_query(v_rule.condition, 'lax $.**.metric') #>> '{}');
        exception when invalid_parameter_value then
            raise exception 'tag rule % of shop %: %', quote_literal(v_rule.name), p_shop_id, sqlerrm
                using errcode = '22023';
        end;
    end loop;

    -- no rule and no tag to take away (the common case of a shop without rules): nothing to read.
    -- With p_keys only their tags are looked for (an index probe per key): a look for any tag of
    -- the shop walks every index entry of its tags removed since the last vacuum (measured 0.75 s
    -- after 900 k tags of removed rules)
    if cardinality(v_cases) = 0 and p_keys is not null then
        if not exists (
            select from analytics.customer_tags ct
            where ct.shop_id = p_shop_id and ct.customer_key = any (p_keys)
              and (p_tags is null or ct.tag = any (p_tags))) then
            return jsonb_build_object('shop_id', p_shop_id, 'rules', 0, 'tagged', 0, 'untagged', 0,
                                      'seconds', round(extract(epoch from clock_timestamp() - v_clock)::numeric, 3));
        end if;
    elsif cardinality(v_cases) = 0 and not exists (
        select from analytics.customer_tags ct
        where ct.shop_id = p_shop_id and (p_tags is null or ct.tag = any (p_tags))) then
        return jsonb_build_object('shop_id', p_shop_id, 'rules', 0, 'tagged', 0, 'untagged', 0,
                                  'seconds', round(extract(epoch from clock_timestamp() - v_clock)::numeric, 3));
    end if;

    -- the view analytics.customer_metrics computes the model's figures (churn, CLV, ...) for every
    -- row it reads; when no rule tests one of them, the stored table it reads is enough
    if to_regclass('analytics.customer_metrics_base') is not null and not exists (
        select from unnest(v_metrics) x (metric)
        where not exists (select from pg_attribute a
                          where a.attrelid = 'analytics.customer_metrics_base'::regclass
                            and a.attname = x.metric and a.attnum > 0 and not a.attisdropped)) then
        v_source := 'analytics.customer_metrics_base';
    end if;

    -- a whole shop read (p_keys null): hash joins, never nested loops. Right after a first fill the
    -- statistics know none of the shop's rows (autovacuum has not analysed them yet) and the
    -- estimate of one row put the view's per-shop model lookup inside a loop over every customer
    -- (measured 1 s of 4.9 s for 152 k customers); restored below
    v_nestloop := current_setting('enable_nestloop');
    if p_keys is null then
        perform set_config('enable_nestloop', 'off', true);
    end if;

    -- wanted: the (customer, tag) pairs the rules give now, one pass over the metrics (each row
    -- gives an array with one element per rule, the tag or null); existing: the stored pairs in
    -- the same scope; one full join of the two gives what to add and what to remove
    execute format(
        'with wanted as (
             select w.customer_key, w.tag
             from (select m.customer_key, unnest(array[%s]::text[]) as tag
                   from %s m
                   where m.shop_id = $1 %s) w
             where w.tag is not null),
         existing as (
             select ct.ctid as row_id, ct.customer_key, ct.tag
             from analytics.customer_tags ct
             where ct.shop_id = $1 %s %s),
         diff as materialized (
             select coalesce(w.customer_key, e.customer_key) as customer_key, coalesce(w.tag, e.tag) as tag,
                    e.customer_key is null as adding, e.row_id
             from wanted w
             full join existing e on e.customer_key = w.customer_key and e.tag = w.tag
             where w.customer_key is null or e.customer_key is null),
         removed as (
             -- by the row ids read above (a TID scan): no join whose plan could go wrong when
             -- the table''s statistics are stale (a tag rule just tagged half the shop)
             delete from analytics.customer_tags ct
             where ct.ctid = any (array(select d.row_id from diff d where not d.adding))
             returning 1),
         added as (
             insert into analytics.customer_tags (shop_id, customer_key, tag)
             select $1, d.customer_key, d.tag from diff d where d.adding
             -- in key order: both indexes grow at a few points instead of everywhere (a first
             -- fill adds a tag row or two for every customer)
             order by d.customer_key, d.tag
             returning 1)
         select (select count(*) from added), (select count(*) from removed)',
        coalesce(nullif(array_to_string(v_cases, ', '), ''), 'null'),
        v_source,
        case when p_keys is not null then 'and m.customer_key = any ($2)' else '' end,
        case when p_keys is not null then 'and ct.customer_key = any ($2)' else '' end,
        case when p_tags is not null then 'and ct.tag = any ($3)' else '' end)
    into v_tagged, v_untagged
    using p_shop_id, p_keys, p_tags;
    perform set_config('enable_nestloop', v_nestloop, true);

    return jsonb_build_object(
        'shop_id', p_shop_id, 'rules', cardinality(v_cases), 'tagged', v_tagged, 'untagged', v_untagged,
        'seconds', round(extract(epoch from clock_timestamp() - v_clock)::numeric, 3));
end
$$;

comment on function analytics.apply_tag_rules(bigint, text[], text[]) is
    'Re-tag a shop''s customers from its tag rules, set-based: p_keys null = every customer, else these customer keys; p_tags null = every rule (and tags of removed rules go), else these tags. '
    'Only differences are written. Returns {shop_id, rules, tagged, untagged, seconds}';
