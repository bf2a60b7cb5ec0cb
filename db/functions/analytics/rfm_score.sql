/*
 * analytics.rfm_score(p_value, p_key, p_bound_values, p_bound_keys): a customer's RFM score 1-5
 * from the shop's quintile boundaries (analytics.customer_rfm_bounds): 1 + the number of the four
 * boundaries (value, key) that sort strictly before the customer's (p_value, p_key). The
 * boundaries are the customers ending ntile(5)'s buckets 1-4, so this equals ntile(5) over
 * (value, customer_key) of all the shop's customers. Keys compare in collation "C".
 */
create or replace function analytics.rfm_score(p_value anycompatible, p_key text,
                                               p_bound_values anycompatiblearray, p_bound_keys text[])
returns smallint
language sql
immutable
parallel safe
as $$
    select (1
    + coalesce(((p_bound_values[1], p_bound_keys[1] collate "C") < (p_value, p_key collate "C"))::integer, 0)
    + coalesce(((p_bound_values[2], p_bound_keys[2] collate "C") < (p_value, p_key collate "C"))::integer, 0)
    + coalesce(((p_bound_values[3], p_bound_keys[3] collate "C") < (p_value, p_key collate "C"))::integer, 0)
    + coalesce(((p_bound_values[4], p_bound_keys[4] collate "C") < (p_value, p_key collate "C"))::integer, 0))::smallint
$$;

comment on function analytics.rfm_score(anycompatible, text, anycompatiblearray, text[]) is
    'RFM score 1-5 of (value, key) from four quintile boundaries: 1 + boundaries sorting before it; equals ntile(5) when the boundaries are ntile''s bucket ends';
