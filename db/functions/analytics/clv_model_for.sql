/*
 * analytics.clv_model_for(p_shop_id, p_measure): the model a shop uses for a measure, as its last
 * backtest chose (analytics.choose_clv_model, analytics.clv_models.used_for):
 *   'churn'   churn_risk
 *   'orders'  predicted orders and what follows from them (predicted value, CLV, next order)
 * One of baseline, rhythm-v1, ... ; rhythm-v1 (the explainable model, docs/analytics.md) while the
 * shop has no backtest. Raises 22023 on another measure.
 */
create or replace function analytics.clv_model_for(p_shop_id bigint, p_measure text)
returns text
language plpgsql
stable
set search_path = pg_catalog
as $$
begin
    if p_measure is null or p_measure not in ('churn', 'orders') then
        raise exception 'analytics.clv_model_for: the measure is churn or orders, got %', quote_nullable(p_measure)
            using errcode = '22023';
    end if;
    return coalesce((select c.model from analytics.clv_models c
                     where c.shop_id = p_shop_id and p_measure = any (c.used_for)
                     order by c.model limit 1),
                    'rhythm-v1');
end
$$;

comment on function analytics.clv_model_for(bigint, text) is
    'The model a shop uses for churn or for orders (expected orders, CLV) as its last backtest chose (analytics.clv_models); rhythm-v1 without a backtest; raises 22023 on another measure';
