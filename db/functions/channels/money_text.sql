/*
 * channels.money_text(p_amount): an amount as feeds write it: a dot and exactly two decimals,
 * no grouping ('1210.00', '0.50'); null stays null. Rounded half away from zero.
 *
 * A SQL-standard body without SET (bound when created, like core.normalize_guid): the planner
 * inlines it into the feed queries, which call it for every item. numeric's own text output of
 * the rounded value (its scale is then exactly 2), not to_char: to_char parses its format on every
 * call (about 8 us an item; the cast takes well under 1 us) and writes '#' past 15 digits.
 */
create or replace function channels.money_text(p_amount numeric)
returns text
language sql
immutable
parallel safe
return round(p_amount, 2)::text;

comment on function channels.money_text(numeric) is 'Amount as text with a dot and two decimals (1210.00); null stays null';
