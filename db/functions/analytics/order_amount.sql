/*
 * analytics.order_amount(p_total_with_vat, p_exchange_rate): what an order counts for in the
 * customer metrics, in the shop's default currency: round(total_with_vat x exchange_rate, 2),
 * half-up (numeric round), each order rounded on its own before any sum. A missing exchange rate
 * counts as 1 (the order is in the default currency), a missing total as 0.
 */
create or replace function analytics.order_amount(p_total_with_vat numeric, p_exchange_rate numeric)
returns numeric
language sql
immutable
parallel safe
return pg_catalog.round(coalesce(p_total_with_vat, 0) * coalesce(p_exchange_rate, 1), 2);

comment on function analytics.order_amount(numeric, numeric) is
    'An order''s amount in the shop''s default currency: round(total_with_vat x exchange_rate, 2) half-up; null rate = 1, null total = 0';
