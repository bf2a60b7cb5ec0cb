-- Rule-based customer tags (issue 13 item 6): a merchant's rules over the columns of
-- analytics.customer_metrics, stored as JSON, validated when saved, evaluated set-based into
-- analytics.customer_tags. The grammar, its errors and when tags are re-evaluated:
-- docs/analytics.md#customer-tags and analytics.tag_condition_sql.

create table analytics.tag_rules (
    shop_id     bigint not null references core.shops (shop_id) on delete cascade,
    name        text not null,
    condition   jsonb not null,
    description text,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    primary key (shop_id, name),
    constraint tag_rules_name_sane check (name = btrim(name) and name <> '' and length(name) <= 64)
);

comment on table analytics.tag_rules is
    'Customer tag rules of each shop: a customer whose analytics.customer_metrics row meets condition gets the tag name '
    '(analytics.customer_tags). Checked when saved (trigger analytics.tag_rules_check); a saved or removed rule re-tags the shop at once';
comment on column analytics.tag_rules.name is 'The tag the rule gives (1-64 characters, no surrounding spaces), unique in the shop';
comment on column analytics.tag_rules.condition is
    'JSON condition over metric columns: {"all": [c, ...]} | {"any": [c, ...]} | {"not": c} | {"metric": column, "op": op, "value": v}; '
    'ops =, !=, <, <=, >, >=, in, not in, between, is null, is not null (analytics.tag_condition_sql; docs/analytics.md)';
comment on column analytics.tag_rules.description is 'What the tag is for, in the merchant''s words (optional)';
comment on column analytics.tag_rules.updated_at is 'When the rule was last saved';

-- no foreign key to tag_rules or customer_metrics: a full refresh writes hundreds of thousands of
-- rows, each of which would run the checks; analytics.apply_tag_rules keeps them consistent
create table analytics.customer_tags (
    shop_id      bigint not null,
    customer_key text collate "C" not null,
    tag          text not null,
    tagged_at    timestamptz not null default now(),
    primary key (shop_id, tag, customer_key)
);

comment on table analytics.customer_tags is
    'Tags of each customer (analytics.customer_metrics key) given by the shop''s analytics.tag_rules; written only by analytics.apply_tag_rules';
comment on column analytics.customer_tags.customer_key is 'analytics.customer_metrics.customer_key: lower-case customer GUID, or the normalised e-mail of a guest';
comment on column analytics.customer_tags.tag is 'analytics.tag_rules.name of the rule the customer meets';
comment on column analytics.customer_tags.tagged_at is 'Since when the customer has had the tag without a break (a re-evaluation that keeps it does not touch the row)';

-- the tags of a customer (the primary key serves the customers of a tag)
create index customer_tags_customer on analytics.customer_tags (shop_id, customer_key);
