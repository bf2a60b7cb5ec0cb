/*
 * analytics.master_customer_metrics: a VIEW (always current, computed when read) of the customer
 * metrics across all the shops of a master: a shop's group is its master (core.shops.
 * master_shop_id) with all the shops that name it, or the shop alone when it has no master.
 * One person per normalised e-mail (analytics.customer_metrics.email: the guest's e-mail, a
 * registered customer's account e-mail), so a guest in one shop and a registered customer in
 * another are one person; a customer without any e-mail stays on their own ('<shop>:<key>').
 *
 *   shops                    the shop ids the person bought in
 *   orders_count, total_spent  sums over those shops (total_spent adds each shop's default
 *                            currency as it is: meaningful when the shops share one currency)
 *   avg_order_value          round(total_spent / orders_count, 2)
 *   first_order_at, last_order_at  earliest / latest over the shops
 *   avg_days_between_orders  (last - first) in days / (orders_count - 1), 4 decimals; null for one order
 *   recency/frequency/monetary_score  ntile(5) over the group's persons, as in each shop, ties
 *                            by person_key; rfm_segment from the master shop's segment map
 *   clv                      sum of the shops' clv
 *   churn_risk               the product of the shops' churn risks: the probability that the
 *                            person has left every shop they buy in, treating the shops as
 *                            independent (4 decimals)
 *   expected_next_order_at   the earliest over the shops
 * Reading it ranks the whole group: filter by master_shop_id (and person_key) when reading.
 */
create or replace view analytics.master_customer_metrics as
with persons as (
    select coalesce(s.master_shop_id, s.shop_id) as master_shop_id,
           coalesce(m.email, m.shop_id || ':' || m.customer_key) collate "C" as person_key,
           array_agg(m.shop_id order by m.shop_id) as shops,
           sum(m.orders_count)::integer as orders_count,
           sum(m.total_spent) as total_spent,
           min(m.first_order_at) as first_order_at,
           max(m.last_order_at) as last_order_at,
           sum(m.clv) as clv,
           round(exp(sum(ln(greatest(m.churn_risk, 1e-12)))), 4) as churn_risk,
           min(m.expected_next_order_at) as expected_next_order_at
    from analytics.customer_metrics m
    join core.shops s on s.shop_id = m.shop_id
    group by 1, 2
), ranked as (
    select p.*,
           ntile(5) over (partition by p.master_shop_id order by p.last_order_at, p.person_key) as recency_score,
           ntile(5) over (partition by p.master_shop_id order by p.orders_count, p.person_key) as frequency_score,
           ntile(5) over (partition by p.master_shop_id order by p.total_spent, p.person_key) as monetary_score
    from persons p
), cells as (
    -- the rule of analytics.rfm_segment_cells (written out: a view needs its parts before it)
    select s.shop_id, r.r, f.f, m.m,
           (select u.segment from analytics.rfm_segment_map u
            where (u.shop_id = s.shop_id
                   or (u.shop_id is null
                       and not exists (select from analytics.rfm_segment_map o where o.shop_id = s.shop_id)))
              and r.r between u.r_min and u.r_max and f.f between u.f_min and u.f_max
              and m.m between u.m_min and u.m_max
            order by u.priority
            limit 1) as segment
    from core.shops s
    cross join generate_series(1, 5) r(r)
    cross join generate_series(1, 5) f(f)
    cross join generate_series(1, 5) m(m)
)
select r.master_shop_id, r.person_key, r.shops, r.orders_count, r.total_spent,
       round(r.total_spent / r.orders_count, 2) as avg_order_value,
       r.first_order_at, r.last_order_at,
       case when r.orders_count > 1
            then round(extract(epoch from r.last_order_at - r.first_order_at) / 86400 / (r.orders_count - 1), 4)
       end as avg_days_between_orders,
       r.recency_score::smallint, r.frequency_score::smallint, r.monetary_score::smallint,
       cell.segment as rfm_segment, r.clv, r.churn_risk, r.expected_next_order_at
from ranked r
left join cells cell
    on cell.shop_id = r.master_shop_id and cell.r = r.recency_score and cell.f = r.frequency_score
   and cell.m = r.monetary_score;

comment on view analytics.master_customer_metrics is
    'Customer metrics across the shops of a master (a view, computed when read): one person per normalised e-mail; sums of orders and spend, first/last order, rhythm, RFM ntile scores within the master''s group and its segment map, summed CLV, churn risk = product of the shops'' churn risks';
