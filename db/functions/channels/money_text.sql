/*
 * channels.money_text(p_amount): an amount as feeds write it: a dot and exactly two decimals,
 * no grouping ('1210.00', '0.50'); null stays null. Rounded half away from zero.
 *
 * A SQL-standard body without SET (bound when created, like core.normalize_guid): the planner
 * inlines it into the feed queries, which call it for every item.
 */
create or replace function channels.money_text(p_amount numeric)
returns text
language sql
immutable
parallel safe
return to_char(round(p_amount, 2), 'FM999999999999990.00');

comment on function channels.money_text(numeric) is 'Amount as text with a dot and two decimals (1210.00); null stays null';
