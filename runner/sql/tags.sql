-- Queries of runner/tags.py (`hub analytics tags`): the rules live in analytics.tag_rules, whose
-- triggers check a condition and re-tag the shop when a rule is saved or removed.

-- name: list
-- every rule (of one shop, or of every shop) with how many customers have its tag now
select r.shop_id, r.name, r.condition, r.description, r.updated_at,
       (select count(*) from analytics.customer_tags t where t.shop_id = r.shop_id and t.tag = r.name) as customers
from analytics.tag_rules r
where %(shop_id)s::bigint is null or r.shop_id = %(shop_id)s::bigint
order by r.shop_id, r.name;

-- name: shop_exists
select exists (select from core.shops where shop_id = %(shop_id)s);

-- name: exists
select 1 from analytics.tag_rules where shop_id = %(shop_id)s and name = %(name)s;

-- name: insert
-- a new rule; the triggers check it and tag the shop's customers
insert into analytics.tag_rules (shop_id, name, condition, description)
values (%(shop_id)s, %(name)s, %(condition)s::jsonb, %(description)s)
on conflict (shop_id, name) do nothing
returning name;

-- name: replace
-- a rule saved over an existing one (or new); the triggers check it and re-tag
insert into analytics.tag_rules (shop_id, name, condition, description)
values (%(shop_id)s, %(name)s, %(condition)s::jsonb, %(description)s)
on conflict (shop_id, name) do update
set condition = excluded.condition, description = coalesce(excluded.description, analytics.tag_rules.description)
returning name;

-- name: delete
-- the trigger takes the tag away from every customer
delete from analytics.tag_rules where shop_id = %(shop_id)s and name = %(name)s returning name;

-- name: tagged
select count(*) from analytics.customer_tags where shop_id = %(shop_id)s and tag = %(name)s;
