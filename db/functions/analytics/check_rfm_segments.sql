/*
 * analytics.check_rfm_segments(p_shop_id, p_segments): refuse RFM segment names a shop does not
 * have. The shop's segments are those of its own analytics.rfm_segment_map rows, else of the
 * default map (shop_id null), as analytics.customer_metrics.rfm_segment takes them; names are
 * compared exactly (as the metrics and tag rules compare them). Null names are skipped.
 * Returns the shop's segment names (by priority) when every name is known; else raises 22023
 * "unknown RFM segment 'x' of shop N; its segments are: a, b, ...". Used by the tag rule check
 * (analytics.tag_rules_check) and `hub analytics show --segment`: an unknown name used to match
 * nobody, silently.
 */
create or replace function analytics.check_rfm_segments(p_shop_id bigint, p_segments text[])
returns text[]
language plpgsql
stable
set search_path = pg_catalog
as $$
declare
    v_known text[];
    v_unknown text;
begin
    select array_agg(s.segment order by s.first_priority)
    into v_known
    from (select m.segment, min(m.priority) as first_priority
          from analytics.rfm_segment_map m
          where m.shop_id is not distinct from
                (case when exists (select from analytics.rfm_segment_map o where o.shop_id = p_shop_id)
                      then p_shop_id end)
          group by m.segment) s;
    select x into v_unknown
    from unnest(p_segments) x
    where x is not null and not x = any (coalesce(v_known, '{}'))
    limit 1;
    if v_unknown is not null then
        raise exception 'unknown RFM segment % of shop %; its segments are: %',
            quote_literal(v_unknown), p_shop_id, coalesce(array_to_string(v_known, ', '), '(none: empty map)')
            using errcode = '22023';
    end if;
    return coalesce(v_known, '{}');
end
$$;

comment on function analytics.check_rfm_segments(bigint, text[]) is
    'The shop''s RFM segment names (own analytics.rfm_segment_map, else the default; by priority); raises 22023 listing them when a given name is not one of them';
