-- The commerce mirror: customers, orders, order items, suppliers, products, variants.
--
-- Every tenant table leads with shop_id (Shoptet eshopId) in its primary key, and every
-- foreign key between tenant tables includes it, so the schema can be distributed by
-- shop_id (Citus) without redesign. Money numeric(14,2), quantities numeric(14,3),
-- times timestamptz. A row deleted at the source gets deleted_at; it is never removed.
--
-- sales.order_items is range-partitioned by created_at (the order's creation time);
-- its quarterly partitions are made by pg_partman in a later migration.
-- sales.orders is not partitioned: an order is identified by (shop_id, code), and a
-- partitioned table cannot enforce a unique key that leaves out the partition column.

create table sales.customers (
    shop_id            bigint not null references core.shops (shop_id),
    guid               uuid not null,
    email              text,
    full_name          text,
    company            text,
    phone              text,
    customer_group     text,
    price_list         text,
    disabled_orders    boolean not null default false,
    remark             text,
    billing_address    jsonb,
    delivery_addresses jsonb,
    accounts           jsonb,
    created_at         timestamptz,
    changed_at         timestamptz,
    synced_at          timestamptz not null default now(),
    deleted_at         timestamptz,
    primary key (shop_id, guid)
);

comment on table sales.customers is 'Customer accounts of each shop, mirrored from Shoptet (snapshot, sync, webhooks)';
comment on column sales.customers.guid is 'Shoptet customer GUID';
comment on column sales.customers.email is 'E-mail of the main account (accounts[].mainAccount); Shoptet has no top-level customer e-mail';
comment on column sales.customers.full_name is 'billingAddress.fullName';
comment on column sales.customers.company is 'billingAddress.company';
comment on column sales.customers.phone is 'Phone of the main account';
comment on column sales.customers.customer_group is 'customerGroup.name';
comment on column sales.customers.price_list is 'priceList.name';
comment on column sales.customers.billing_address is 'billingAddress as Shoptet sends it';
comment on column sales.customers.delivery_addresses is 'deliveryAddress[] as Shoptet sends it';
comment on column sales.customers.accounts is 'accounts[] (guid, fullName, email, phone, mainAccount, authorized, emailVerified)';
comment on column sales.customers.created_at is 'Shoptet creationTime (may be null at the source)';
comment on column sales.customers.changed_at is 'Shoptet changeTime: the version of the row; an older version never overwrites a newer one';
comment on column sales.customers.synced_at is 'When the hub last wrote this row';
comment on column sales.customers.deleted_at is 'Set when the customer was deleted at the source; null while it exists';

create table sales.orders (
    shop_id             bigint not null references core.shops (shop_id),
    code                text not null,
    guid                uuid,
    created_at          timestamptz not null,
    changed_at          timestamptz,
    status_id           integer,
    status_name         text,
    source_id           integer,
    source_name         text,
    email               text,
    phone               text,
    full_name           text,
    company             text,
    customer_guid       uuid,
    cash_desk_order     boolean not null default false,
    paid                boolean,
    total_with_vat      numeric(14,2),
    total_without_vat   numeric(14,2),
    total_vat           numeric(14,2),
    to_pay              numeric(14,2),
    currency            text,
    exchange_rate       numeric(18,8),
    shipping_guid       uuid,
    shipping_name       text,
    payment_method_guid uuid,
    payment_method_name text,
    billing_method_id   integer,
    language            text,
    vat_payer           boolean,
    vat_mode            text,
    stock_id            integer,
    billing_address     jsonb,
    delivery_address    jsonb,
    remark              text,
    admin_url           text,
    synced_at           timestamptz not null default now(),
    deleted_at          timestamptz,
    primary key (shop_id, code)
);

comment on table sales.orders is 'Orders of each shop, mirrored from Shoptet; identified by (shop_id, code) since guid may be null on old orders';
comment on column sales.orders.code is 'Shoptet order code (a string: digits, may hold letters or dashes)';
comment on column sales.orders.guid is 'Shoptet order GUID; null on some old orders';
comment on column sales.orders.created_at is 'Shoptet creationTime (when the source has none: changeTime, else the time of import)';
comment on column sales.orders.changed_at is 'Shoptet changeTime: the version of the row; an older version never overwrites a newer one';
comment on column sales.orders.status_id is 'Shoptet status.id (shop-defined; system statuses are negative)';
comment on column sales.orders.status_name is 'Shoptet status.name as the shop calls it';
comment on column sales.orders.source_id is 'Shoptet source.id (e.g. -1 e-shop)';
comment on column sales.orders.email is 'E-mail given with the order (guest orders have one but no customer_guid)';
comment on column sales.orders.customer_guid is 'Shoptet customer GUID; null for a guest order';
comment on column sales.orders.total_with_vat is 'price.withVat in the order currency';
comment on column sales.orders.total_without_vat is 'price.withoutVat in the order currency';
comment on column sales.orders.total_vat is 'price.vat in the order currency';
comment on column sales.orders.to_pay is 'price.toPay in the order currency';
comment on column sales.orders.currency is 'price.currencyCode (ISO 4217, e.g. CZK, EUR)';
comment on column sales.orders.exchange_rate is 'price.exchangeRate: order currency to the shop''s default currency (8 decimals)';
comment on column sales.orders.billing_method_id is 'billingMethod.id: 1 COD, 2 wire transfer, 3 cash, 4 card';
comment on column sales.orders.billing_address is 'billingAddress as Shoptet sends it';
comment on column sales.orders.delivery_address is 'deliveryAddress as Shoptet sends it (null when equal to billing)';
comment on column sales.orders.synced_at is 'When the hub last wrote this row';
comment on column sales.orders.deleted_at is 'Set when the order was deleted at the source; null while it exists';

create table sales.order_items (
    shop_id                bigint not null,
    order_code             text not null,
    item_id                bigint not null,
    created_at             timestamptz not null,
    item_type              text not null,
    product_type           text,
    product_guid           uuid,
    code                   text,
    ean                    text,
    name                   text,
    variant_name           text,
    brand                  text,
    amount                 numeric(14,3),
    amount_unit            text,
    amount_completed       numeric(14,3),
    weight                 numeric(14,3),
    price_ratio            numeric(10,4),
    unit_price_with_vat    numeric(14,2),
    unit_price_without_vat numeric(14,2),
    total_with_vat         numeric(14,2),
    total_without_vat      numeric(14,2),
    total_vat              numeric(14,2),
    vat_rate               numeric(6,2),
    purchase_price         numeric(14,2),
    status_id              integer,
    status_name            text,
    supplier_name          text,
    synced_at              timestamptz not null default now(),
    deleted_at             timestamptz,
    primary key (shop_id, created_at, order_code, item_id),
    foreign key (shop_id, order_code) references sales.orders (shop_id, code) on delete cascade,
    constraint order_items_item_type_known check (item_type in (
        'product', 'bazar', 'service', 'shipping', 'billing', 'discount-coupon', 'volume-discount',
        'gift', 'gift-certificate', 'generic-item', 'product-set', 'product-set-item', 'deposit'))
) partition by range (created_at);

comment on table sales.order_items is 'Lines of each order (products, shipping, payment, discounts, ...), partitioned by quarter of the order''s created_at';
comment on column sales.order_items.order_code is 'The order (sales.orders.code) this line belongs to';
comment on column sales.order_items.item_id is 'Shoptet itemId, unique within the order';
comment on column sales.order_items.created_at is 'The order''s created_at, copied here as the partition key';
comment on column sales.order_items.item_type is 'Shoptet itemType: product, bazar, service, shipping, billing (payment method), discount-coupon, volume-discount, gift, gift-certificate, generic-item, product-set, product-set-item, deposit';
comment on column sales.order_items.product_guid is 'Shoptet product GUID for product lines; null for shipping, billing, discounts';
comment on column sales.order_items.code is 'Variant code (catalog.variants.code); may be null or name a deleted variant';
comment on column sales.order_items.amount is 'Quantity (3 decimals)';
comment on column sales.order_items.price_ratio is 'priceRatio: discount ratio applied to the line (4 decimals)';
comment on column sales.order_items.unit_price_with_vat is 'unitPrice.withVat: price of one unit';
comment on column sales.order_items.unit_price_without_vat is 'unitPrice.withoutVat';
comment on column sales.order_items.total_with_vat is 'itemPrice.withVat: the line total';
comment on column sales.order_items.total_without_vat is 'itemPrice.withoutVat: the line total';
comment on column sales.order_items.total_vat is 'itemPrice.vat: the line total';
comment on column sales.order_items.vat_rate is 'itemPrice.vatRate in percent';
comment on column sales.order_items.purchase_price is 'purchasePrice.withoutVat of one unit when the shop records it';
comment on column sales.order_items.status_id is 'status.id of the line';
comment on column sales.order_items.synced_at is 'When the hub last wrote this row';
comment on column sales.order_items.deleted_at is 'Set when the line or its order was deleted at the source';

create table catalog.suppliers (
    shop_id        bigint not null references core.shops (shop_id),
    guid           uuid not null,
    name           text not null,
    lead_time_days integer not null default 14,
    synced_at      timestamptz not null default now(),
    deleted_at     timestamptz,
    primary key (shop_id, guid),
    constraint suppliers_lead_time_sane check (lead_time_days between 0 and 365)
);

comment on table catalog.suppliers is 'Suppliers of each shop (from products'' supplier), with the lead time inventory planning uses';
comment on column catalog.suppliers.lead_time_days is 'Days from purchase order to stock; set by the merchant (Shoptet does not know it), default 14';
comment on column catalog.suppliers.deleted_at is 'Set when the supplier was deleted at the source';

create table catalog.products (
    shop_id               bigint not null references core.shops (shop_id),
    guid                  uuid not null,
    name                  text,
    type                  text,
    visibility            text,
    brand_code            text,
    brand_name            text,
    supplier_guid         uuid,
    default_category_guid uuid,
    default_category_name text,
    url                   text,
    is_variant            boolean,
    created_at            timestamptz,
    changed_at            timestamptz,
    synced_at             timestamptz not null default now(),
    deleted_at            timestamptz,
    primary key (shop_id, guid)
);

comment on table catalog.products is 'Products of each shop, mirrored from Shoptet; sellable units are their variants';
comment on column catalog.products.type is 'Shoptet product type: product, bazar, service, gift-certificate, product-set';
comment on column catalog.products.visibility is 'Shoptet visibility code (hidden, visible, blocked, ...): an open list';
comment on column catalog.products.supplier_guid is 'supplier.guid (catalog.suppliers), null when none';
comment on column catalog.products.is_variant is 'Shoptet isVariant: the product has real variants (else exactly one plain variant)';
comment on column catalog.products.created_at is 'Shoptet creationTime';
comment on column catalog.products.changed_at is 'Shoptet changeTime: the version of the row';
comment on column catalog.products.deleted_at is 'Set when the product was deleted at the source';

create table catalog.variants (
    shop_id            bigint not null,
    code               text not null,
    product_guid       uuid not null,
    ean                text,
    name               text,
    stock              numeric(14,3),
    unit               text,
    price              numeric(14,2),
    common_price       numeric(14,2),
    purchase_price     numeric(14,2),
    currency           text,
    vat_rate           numeric(6,2),
    including_vat      boolean,
    visible            boolean,
    availability       text,
    min_stock_supply   numeric(14,3),
    weight             numeric(14,3),
    manufacturer_code  text,
    changed_at         timestamptz,
    synced_at          timestamptz not null default now(),
    deleted_at         timestamptz,
    primary key (shop_id, code),
    foreign key (shop_id, product_guid) references catalog.products (shop_id, guid)
);

comment on table catalog.variants is 'Variants (sellable units, SKUs) of each product with stock and prices; order items refer to them by code';
comment on column catalog.variants.code is 'Shoptet variant code, unique within a shop (order_items.code refers to it)';
comment on column catalog.variants.name is 'Variant name composed of its parameters; null for a product without variants';
comment on column catalog.variants.stock is 'Stock on hand (3 decimals); null when the shop does not track stock';
comment on column catalog.variants.price is 'Selling price in currency, with or without VAT as including_vat says';
comment on column catalog.variants.common_price is 'commonPrice: the "was" price shown crossed out';
comment on column catalog.variants.purchase_price is 'Purchase price of one unit without VAT (inventory valuation, margins)';
comment on column catalog.variants.including_vat is 'Whether price includes VAT';
comment on column catalog.variants.availability is 'availability.name as the shop shows it';
comment on column catalog.variants.min_stock_supply is 'minStockSupply: the shop''s own reorder threshold';
comment on column catalog.variants.changed_at is 'changeTime of the product this variant came with';
comment on column catalog.variants.deleted_at is 'Set when the variant was deleted at the source';
