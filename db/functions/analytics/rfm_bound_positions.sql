/*
 * analytics.rfm_bound_positions(p_customers): the 1-based positions ending ntile(5)'s buckets
 * 1-4 among p_customers rows: b_i = i x (n / 5) + least(i, n % 5) (PostgreSQL's ntile gives the
 * first n % 5 buckets one row more). Position 0 (no such row) only when n = 0.
 */
create or replace function analytics.rfm_bound_positions(p_customers integer)
returns integer[]
language sql
immutable
parallel safe
return array(select i * (p_customers / 5) + least(i, p_customers % 5) from generate_series(1, 4) i order by i);

comment on function analytics.rfm_bound_positions(integer) is
    'Positions (1-based) ending ntile(5)''s buckets 1-4 among n rows: i x (n / 5) + least(i, n % 5)';
