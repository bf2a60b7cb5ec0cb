/*
 * analytics.mean_absolute_error(p_predicted, p_actual): the mean of |predicted - actual| over
 * pairs of the two arrays (same position), in the unit of the values (the backtest: orders per
 * customer). Null for empty arrays. Raises 22023 when the arrays differ in length, 22004 on a null
 * element (naming its position).
 */
create or replace function analytics.mean_absolute_error(p_predicted double precision[], p_actual double precision[])
returns double precision
language plpgsql
immutable
parallel safe
set search_path = pg_catalog
as $$
declare
    v_null integer;
begin
    if coalesce(cardinality(p_predicted), 0) <> coalesce(cardinality(p_actual), 0) then
        raise exception 'analytics.mean_absolute_error: % predictions but % actual values; give one of each per case',
            coalesce(cardinality(p_predicted), 0), coalesce(cardinality(p_actual), 0)
            using errcode = '22023';
    end if;
    select min(t.n) into v_null
    from unnest(p_predicted, p_actual) with ordinality as t (p, a, n)
    where t.p is null or t.a is null;
    if v_null is not null then
        raise exception 'analytics.mean_absolute_error: element % has a null prediction or actual value', v_null
            using errcode = '22004';
    end if;
    return (select avg(abs(t.p - t.a)) from unnest(p_predicted, p_actual) as t (p, a));
end
$$;

comment on function analytics.mean_absolute_error(double precision[], double precision[]) is
    'Mean of |predicted - actual| over the pairs of two arrays; null when empty; raises 22023 on arrays of different length, 22004 on a null element';
