/*
 * analytics.rfm_segment_cells(p_shop_id): the segment of each of the 125 (recency, frequency,
 * monetary) score combinations of a shop, from analytics.rfm_segment_map: the shop's own rules
 * when it has any, else the default rules (shop_id null); per combination the rule with the
 * lowest priority whose three ranges hold it; segment null when none does.
 */
create or replace function analytics.rfm_segment_cells(p_shop_id bigint)
returns table (r smallint, f smallint, m smallint, segment text)
language sql
stable
as $$
    with rules as (
        select s.* from analytics.rfm_segment_map s
        where s.shop_id = p_shop_id
        union all
        select s.* from analytics.rfm_segment_map s
        where s.shop_id is null
          and not exists (select from analytics.rfm_segment_map o where o.shop_id = p_shop_id)
    )
    select r::smallint, f::smallint, m::smallint,
           (select u.segment from rules u
            where r between u.r_min and u.r_max and f between u.f_min and u.f_max and m between u.m_min and u.m_max
            order by u.priority
            limit 1)
    from generate_series(1, 5) r, generate_series(1, 5) f, generate_series(1, 5) m
$$;

comment on function analytics.rfm_segment_cells(bigint) is
    'Segment of each of the 125 (r, f, m) score combinations of a shop from analytics.rfm_segment_map (own rules, else the default ones; first rule by priority that holds; null when none)';
