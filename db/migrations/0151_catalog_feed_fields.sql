-- Catalogue fields the marketplace feeds need (issue 17), read from the product detail / snapshot
-- with include=images,allCategories,descriptiveParameters,variantParameters,flags (shoptet-api.md 4.4,
-- Shoptet OpenAPI getProductDetail "Section on demand"). All nullable: rows imported before this
-- migration get them with their next change or snapshot. The staging tables get the same columns
-- (the importer COPYs them; ingest.apply_products writes them).

alter table catalog.products
    add column xml_feed_name          text,
    add column short_description      text,
    add column description            text,
    add column images                 jsonb,
    add column categories             jsonb,
    add column descriptive_parameters jsonb,
    add column flags                  jsonb;

comment on column catalog.products.xml_feed_name is
    'xmlFeedName: the name the merchant set for XML feeds (used instead of name when not blank)';
comment on column catalog.products.short_description is 'shortDescription (may contain HTML)';
comment on column catalog.products.description is 'description (HTML as Shoptet sends it)';
comment on column catalog.products.images is
    'include=images: JSON array of image file names (images[].name) in the administration''s order, '
    'the main image first; a URL is the shop''s image base (channels.shop_storefronts.image_base_url) || name. '
    'Null when never read with include=images';
comment on column catalog.products.categories is
    'include=allCategories: JSON array of {guid, name, parentGuid} as sent; the tree is kept in catalog.categories';
comment on column catalog.products.descriptive_parameters is
    'include=descriptiveParameters: JSON array of {name, value, priority} as sent';
comment on column catalog.products.flags is 'include=flags: JSON array of the product''s flag codes (flags[].code: action, new, ...)';

alter table catalog.variants
    add column parameters                jsonb,
    add column image                     text,
    add column mpn                       text,
    add column availability_when_sold_out text,
    add column action_price              numeric(14,2),
    add column action_price_from         date,
    add column action_price_to           date,
    add column heureka_cpc               numeric(10,2),
    add column heureka_feed_excluded     boolean,
    add column heureka_cart_excluded     boolean,
    add column zbozi_max_cpc             numeric(10,2),
    add column zbozi_max_search_cpc      numeric(10,2),
    add column zbozi_hidden              boolean;

comment on column catalog.variants.parameters is
    'include=variantParameters: JSON array of {name, value} (parameters[].paramName / paramValue) in the order sent';
comment on column catalog.variants.image is 'image: the variant''s own main image file name (null: the product''s main image)';
comment on column catalog.variants.mpn is 'mpn: manufacturer part number';
comment on column catalog.variants.availability_when_sold_out is 'availabilityWhenSoldOut.name: what the shop shows at stock <= 0';
comment on column catalog.variants.action_price is 'actionPrice.price: the discounted price in force between action_price_from and action_price_to';
comment on column catalog.variants.action_price_from is 'actionPrice.fromDate; Shoptet uses the action price only when both dates are set';
comment on column catalog.variants.action_price_to is 'actionPrice.toDate (the last day of the action price)';
comment on column catalog.variants.heureka_cpc is 'heurekaCPC: the bid per click on Heureka in CZK (null or 0: none)';
comment on column catalog.variants.heureka_feed_excluded is 'heureka.feedExcluded: the merchant hid the variant from Heureka''s feed';
comment on column catalog.variants.heureka_cart_excluded is 'heureka.cartExcluded: hidden from Heureka Marketplace (the cart)';
comment on column catalog.variants.zbozi_max_cpc is 'zboziCZ.maximalCPC: the bid per click on Zbozi.cz product detail in CZK';
comment on column catalog.variants.zbozi_max_search_cpc is 'zboziCZ.maximalSearchCPC: the bid per click in Zbozi.cz search in CZK';
comment on column catalog.variants.zbozi_hidden is 'zboziCZ.hidden: the merchant hid the variant from Zbozi.cz';

alter table ingest.stage_products
    add column xml_feed_name          text,
    add column short_description      text,
    add column description            text,
    add column images                 jsonb,
    add column categories             jsonb,
    add column descriptive_parameters jsonb,
    add column flags                  jsonb;

alter table ingest.stage_variants
    add column parameters                jsonb,
    add column image                     text,
    add column mpn                       text,
    add column availability_when_sold_out text,
    add column action_price              numeric(14,2),
    add column action_price_from         date,
    add column action_price_to           date,
    add column heureka_cpc               numeric(10,2),
    add column heureka_feed_excluded     boolean,
    add column heureka_cart_excluded     boolean,
    add column zbozi_max_cpc             numeric(10,2),
    add column zbozi_max_search_cpc      numeric(10,2),
    add column zbozi_hidden              boolean;

create table catalog.categories (
    shop_id     bigint not null references core.shops (shop_id),
    guid        uuid not null,
    name        text not null,
    parent_guid uuid,
    synced_at   timestamptz not null default now(),
    primary key (shop_id, guid)
);

comment on table catalog.categories is
    'Categories of each shop as products name them (include=allCategories: guid, name, parentGuid); '
    'catalog.category_paths walks parent_guid for the path a feed shows';
comment on column catalog.categories.parent_guid is 'parentGuid (null: a top-level category, or the parent is unknown)';
