-- The benchmark data generator (`hub bench generate`): production-shaped commerce data made
-- server-side with generate_series and INSERT ... SELECT. bench/generate.py runs the sections
-- below in order (a section starts with a `-- name: <section>` line); `:seed`, `:scale`,
-- `:anchor`, `:part` and `:parts` are replaced with numbers by the driver before a section runs.
--
-- Deterministic: every random choice is a hash (hashint8extended) of a key (shop, customer,
-- order, line) and the seed, never random(), so the same seed gives the same rows whatever the
-- plan or the number of parallel connections. Scale 1.0 is the seeds' size: 1.4 M orders,
-- ~5.9 lines per order (8.2 M lines), 661 k customers, 13 k variants, three shops:
-- 900001 (master), 900002 and 900003 (master_shop_id 900001).
--
-- Helpers live in schema bench_gen (created here, dropped by the last section).

-- name: setup
drop schema if exists bench_gen cascade;
create schema bench_gen;

-- the moment the data is generated as of (:anchor, default the start of today, UTC): the same
-- seed and anchor give the same rows
create function bench_gen.now()
returns timestamptz
language sql immutable parallel safe
as $$
    select to_timestamp(:anchor)
$$;

-- a uniform number in [0, 1) from a key and a stream number (different streams of the same key
-- are independent); the seed is part of the hash
create function bench_gen.u(p_key bigint, p_stream integer)
returns double precision
language sql immutable parallel safe
as $$
    select ((hashint8extended(p_key, :seed::bigint * 1000 + p_stream) >> 11) & 9007199254740991)::double precision
           / 9007199254740992.0
$$;

-- seconds after midnight of an order's time: 90 % between 06:00 and 24:00, the rest at night
create function bench_gen.time_of_day(p_key bigint)
returns double precision
language sql immutable parallel safe
as $$
    select case when bench_gen.u(p_key, 4) < 0.9 then 21600 + bench_gen.u(p_key, 5) * 64800
                else bench_gen.u(p_key, 5) * 21600 end
$$;

-- a registered customer's rhythm: the mean gap between their orders in days, log-normal around
-- 365 days (sigma 1.2: half of the customers within 163 .. 818 days, one in fifty under 30),
-- kept within 1 .. 3 650 days
create function bench_gen.rhythm_days(p_ckey bigint)
returns double precision
language sql immutable parallel safe
as $$
    select least(3650, greatest(1, 365 * exp(1.2 * sqrt(-2 * ln(1 - bench_gen.u(p_ckey, 26)))
                                                 * cos(2 * pi() * bench_gen.u(p_ckey, 27)))))
$$;

-- how long a registered customer keeps ordering after their first order, in days: 0 for the 60 %
-- who buy once, exponentially distributed with mean 365 days for the others; the churn point is
-- the first order + this
create function bench_gen.active_days(p_ckey bigint)
returns double precision
language sql immutable parallel safe
as $$
    select case when bench_gen.u(p_ckey, 28) < 0.6 then 0
                else -365 * ln(1 - bench_gen.u(p_ckey, 29)) end
$$;

-- one of the elements of an array, chosen by a uniform number
create function bench_gen.pick(p_choices text[], p_u double precision)
returns text
language sql immutable parallel safe
as $$
    select p_choices[1 + floor(p_u * cardinality(p_choices))::integer]
$$;

-- selling price with VAT (CZK) of variant j of the catalogue: log-uniform 99 .. 3 990, ending .90
create function bench_gen.variant_price(p_j integer)
returns numeric
language sql immutable parallel safe
as $$
    select (floor(exp(ln(99) + bench_gen.u(p_j, 21) * ln(40.3))) - 0.10)::numeric(14,2)
$$;

-- CZK for one EUR on a day: a slow wave around 24.6
create function bench_gen.eur_rate(p_day date)
returns numeric
language sql immutable parallel safe
as $$
    select round((24.6 + 0.7 * sin((p_day - date '2020-01-01') / 58.0))::numeric, 3)
$$;

-- variant j of the catalogue: blocks of four variants alternate between four products without
-- variants (code P<j>) and one product with four size variants (code P<4b>/S ... /XL)
create function bench_gen.product_no(p_j integer)
returns integer
language sql immutable parallel safe
as $$
    select case when (p_j / 4) % 2 = 0 then p_j else p_j / 4 * 4 end
$$;

create function bench_gen.variant_code(p_j integer)
returns text
language sql immutable parallel safe
as $$
    select 'P' || lpad(bench_gen.product_no(p_j)::text, 5, '0')
           || case when (p_j / 4) % 2 = 1 then '/' || (array['S', 'M', 'L', 'XL'])[p_j % 4 + 1] else '' end
$$;

create function bench_gen.product_name(p_pn integer)
returns text
language sql immutable parallel safe
as $$
    select bench_gen.pick(array['Tričko', 'Mikina', 'Bunda', 'Čepice', 'Batoh', 'Hrnek', 'Lampa', 'Polštář',
                                'Deka', 'Kniha', 'Hra', 'Míč', 'Láhev', 'Svíčka', 'Taška'], bench_gen.u(p_pn, 52))
           || ' ' || bench_gen.pick(array['Basic', 'Premium', 'Eko', 'Classic', 'Sport', 'Kids', 'Retro'],
                                    bench_gen.u(p_pn, 53)) || ' ' || p_pn
$$;

-- a product's description as Shoptet sends it (HTML, about 700 characters): its name, a
-- material, a colour, the origin and a collection (each shared by a part of the products: some
-- words are in many descriptions, some in few), care and a paragraph every product has; for
-- the full-text tier of catalog.search_products
create function bench_gen.product_description(p_pn integer)
returns text
language sql immutable parallel safe
as $$
    select '<p><strong>' || bench_gen.product_name(p_pn) || '</strong> &ndash; '
           || bench_gen.pick(array['pohodlný a odolný kousek pro každý den.', 'oblíbený dárek pro celou rodinu.',
                                   'limitovaná edice z naší dílny.', 'šetrný k přírodě, vyrobený s péčí.'],
                             bench_gen.u(p_pn, 90)) || '</p>'
           || '<ul><li>Materiál: ' || bench_gen.pick(array['bavlna', 'len', 'vlna merino', 'polyester',
                 'bambusové vlákno', 'konopí', 'keramika', 'recyklovaný plast', 'dubové dřevo', 'sklo'],
                 bench_gen.u(p_pn, 91))
           || '</li><li>Barva: ' || bench_gen.pick(array['černá', 'bílá', 'modrá', 'zelená', 'červená', 'šedá',
                 'žlutá', 'hnědá'], bench_gen.u(p_pn, 92))
           || '</li><li>' || bench_gen.pick(array['Vyrobeno v České republice', 'Vyrobeno na Slovensku',
                 'Vyrobeno v Portugalsku', 'Dovezeno z Itálie'], bench_gen.u(p_pn, 93))
           || '</li><li>Kolekce <em>' || bench_gen.pick(array['Šumava', 'Krkonoše', 'Pálava', 'Beskydy', 'Jeseníky',
                 'Podyjí', 'Křivoklátsko', 'Orlické hory', 'Blaník', 'Lipno', 'Máchovo jezero', 'Třeboňsko',
                 'Vysočina', 'Slavkovský les', 'Brdy', 'Jizerky', 'Polabí', 'Hostýn', 'Radhošť', 'Kokořínsko'],
                 bench_gen.u(p_pn, 94)) || '</em></li></ul>'
           || '<p>' || bench_gen.pick(array['Perte na 30 °C.', 'Nevhodné do myčky.', 'Chraňte před přímým sluncem.',
                 'Udržujte v suchu.'], bench_gen.u(p_pn, 95))
           || ' Tento výrobek prošel důkladnou kontrolou kvality v&nbsp;našem skladu. Zboží expedujeme do '
           || '24 hodin od objednání, při platbě předem po připsání platby na účet. Vrácení do 30 dnů bez '
           || 'udání důvodu, výměna velikosti zdarma. Dotazy rádi zodpovíme na <a href="mailto:info@example.cz">'
           || 'info@example.cz</a>.</p>'
$$;

-- the shops and their share of the data
create table bench_gen.shops as
select v.shop_id, v.shop_idx, v.name, v.eur_share, v.language,
       greatest(20, round(661000 * :scale * v.weight))::integer as n_customers,
       greatest(30, round(1400000 * :scale * v.weight))::integer as n_orders,
       -- 13 k variants at scale 1: the master's catalogue, and half of it sold by each other shop
       greatest(40, round(6500 * :scale::numeric ^ 0.5 * (case when v.shop_idx = 0 then 1 else 0.5 end)))::integer as n_variants
from (values (900001::bigint, 0, 'Bench master shop (CZ)', 0.08, 'cs', 0.60),
             (900002::bigint, 1, 'Bench shop 2 (CZ)', 0.05, 'cs', 0.25),
             (900003::bigint, 2, 'Bench shop 3 (SK)', 0.80, 'sk', 0.15))
     as v (shop_id, shop_idx, name, eur_share, language, weight);
update bench_gen.shops s
set n_variants = (select round(m.n_variants / 2.0) from bench_gen.shops m where m.shop_idx = 0)
where s.shop_idx > 0;

-- name: shops
insert into core.shops (shop_id, name, is_master, master_shop_id)
select s.shop_id, s.name, s.shop_idx = 0, case when s.shop_idx > 0 then 900001 end
from bench_gen.shops s
order by s.shop_idx
on conflict (shop_id) do nothing;

-- name: clear_fast
-- the bench shops are the only ones with data: truncate instead of deleting millions of rows
-- (product texts refer to the products: they go with them)
truncate sales.order_items, archive.order_items, sales.orders, sales.customers,
         analytics.customer_metrics_base, catalog.variants, catalog.product_texts, catalog.products, catalog.suppliers,
         analytics.variant_demand, analytics.variant_demand_state, analytics.variant_code_changes;

-- name: clear
delete from sales.order_items where shop_id in (select shop_id from bench_gen.shops);
delete from archive.order_items where shop_id in (select shop_id from bench_gen.shops);
delete from sales.orders where shop_id in (select shop_id from bench_gen.shops);
delete from sales.customers where shop_id in (select shop_id from bench_gen.shops);
delete from analytics.customer_metrics_base where shop_id in (select shop_id from bench_gen.shops);
delete from catalog.variants where shop_id in (select shop_id from bench_gen.shops);
delete from catalog.products where shop_id in (select shop_id from bench_gen.shops);
delete from catalog.suppliers where shop_id in (select shop_id from bench_gen.shops);
delete from analytics.variant_demand where shop_id in (select shop_id from bench_gen.shops);
delete from analytics.variant_demand_state where shop_id in (select shop_id from bench_gen.shops);
delete from analytics.variant_code_changes where shop_id in (select shop_id from bench_gen.shops);

-- name: calendar
-- the order rate of each day of the last 3 years: growth, a December peak (November's Black
-- Friday second), a summer dip, quieter weekends; then 65 536 equal-probability buckets, each
-- naming its day, so that a uniform number picks a day by a hash join
create table bench_gen.days as
with d as (
    select k, (bench_gen.now() - interval '3 years')::date + k as day
    from generate_series(0, (bench_gen.now()::date - 1 - (bench_gen.now() - interval '3 years')::date)) k
),
weighted as (
    select k, day,
           (1 + 0.4 * k / 1096.0)
           * (array[0.80, 0.78, 0.90, 0.92, 0.95, 0.88, 0.82, 0.85, 0.95, 1.05, 1.45, 1.95])[extract(month from day)::integer]
           * (array[0.95, 1.10, 1.05, 1.00, 1.00, 0.90, 0.80])[extract(isodow from day)::integer + 0]
           * case when extract(month from day) = 11 and extract(day from day) between 24 and 30
                       and extract(isodow from day) = 5 then 2.5 else 1 end  -- Black Friday
           as w
    from d
)
select k, day, sum(w) over (order by k) - w as cum_lo, sum(w) over (order by k) as cum_hi, sum(w) over () as total
from weighted;

create table bench_gen.day_bucket as
select b, d.day
from bench_gen.days d,
     generate_series(floor(d.cum_lo / d.total * 65536)::integer, ceil(d.cum_hi / d.total * 65536)::integer - 1) b
where b < 65536;
-- a bucket that straddles two days goes to the later one: keep one row per bucket
delete from bench_gen.day_bucket a using bench_gen.day_bucket b where a.b = b.b and a.day < b.day;
create unique index on bench_gen.day_bucket (b);
analyze bench_gen.day_bucket;

-- name: slots
-- one row per order to be. Each registered customer has a purchase rhythm and a churn point
-- (docs/analytics.md, "Generated data: rhythm and churn"):
--   * the first order on a day drawn from the calendar, at a time of day (bench_gen.time_of_day);
--   * a churn point: 60 % are one-time buyers (it is their first order); the others stay active
--     for an exponentially distributed time, mean 365 days (bench_gen.active_days), and never
--     order after it;
--   * a rhythm: the mean gap between their orders, log-normal around 365 days
--     (bench_gen.rhythm_days); order k >= 2 comes a gap after order k - 1, the gap
--     Erlang-2-distributed around the rhythm (the mean of two exponentials: regular but not
--     clockwork, coefficient of variation 0.71), on that day at its own time of day.
-- Orders that would fall after the churn point or on or after the anchor's day are not placed.
-- Together: about 1.5 orders per customer, 85 % order once, a few every week or so (the seeds:
-- 661 k customers and 1.4 M orders, about a third of them guest orders). Guest orders,
-- each on a calendar day, fill the rest of the shop's orders; then every order gets a code in
-- time order.
set local work_mem = '512MB';
create table bench_gen.orders as
with customer as (
    select s.shop_id, s.shop_idx, c.cn, k.ckey, k.first_key, db.day as first_day,
           bench_gen.time_of_day(k.first_key) / 86400.0 as first_time,
           bench_gen.rhythm_days(k.ckey) as rhythm_days,
           bench_gen.active_days(k.ckey) as active_days
    from bench_gen.shops s
    cross join generate_series(1, s.n_customers) c (cn)
    cross join lateral (select (s.shop_idx::bigint << 40) + c.cn as ckey,
                               (s.shop_idx::bigint << 40) + (c.cn::bigint << 9) + 1 as first_key) k
    join bench_gen.day_bucket db on db.b = floor(bench_gen.u(k.first_key, 3) * 65536)::integer
),
planned as (
    -- orders k = 1 .. a cap of the customer (3 + twice the gaps that fit on average into the
    -- days they can still order: rarely binding) and the gap before each (0 for the first)
    select c.shop_id, c.shop_idx, c.cn, c.first_day, c.first_time, c.active_days, k,
           (c.shop_idx::bigint << 40) + (c.cn::bigint << 9) + k as slot_key,
           case when k = 1 then 0
                else c.rhythm_days * (- ln(1 - bench_gen.u((c.shop_idx::bigint << 40) + (c.cn::bigint << 9) + k, 24))
                                      - ln(1 - bench_gen.u((c.shop_idx::bigint << 40) + (c.cn::bigint << 9) + k, 25))) / 2
           end as gap_days
    from customer c
    cross join lateral generate_series(
        1, least(500, 3 + ceil(2 * least(c.active_days, bench_gen.now()::date - c.first_day) / c.rhythm_days))::integer) k
),
elapsed as (
    select p.*, sum(p.gap_days) over (partition by p.shop_id, p.cn order by p.k) as elapsed_days
    from planned p
),
placed as (
    select e.shop_id, e.shop_idx, e.cn, null::integer as gn, e.slot_key,
           e.first_day + floor(e.first_time + e.elapsed_days)::integer as day
    from elapsed e
    where e.elapsed_days <= e.active_days
      and e.first_day + floor(e.first_time + e.elapsed_days)::integer < bench_gen.now()::date
),
placed_count as (
    select shop_id, count(*) as n from placed group by shop_id
),
guest as (
    -- a guest order is one e-mail's only order; 8 % of them are placed by a registered customer
    -- who did not log in (the orders section picks who)
    select s.shop_id, s.shop_idx, null::integer as cn, g.n as gn,
           (s.shop_idx::bigint << 40) + (1::bigint << 39) + g.n as slot_key
    from bench_gen.shops s
    join placed_count a using (shop_id)
    cross join generate_series(1, greatest(0, s.n_orders - a.n)::integer) g (n)
),
slots as (
    select * from placed
    union all
    select g.shop_id, g.shop_idx, g.cn, g.gn, g.slot_key, db.day
    from guest g
    join bench_gen.day_bucket db on db.b = floor(bench_gen.u(g.slot_key, 3) * 65536)::integer
),
timed as (
    select sl.shop_id, sl.shop_idx, sl.cn, sl.gn, sl.slot_key,
           least(sl.day + bench_gen.time_of_day(sl.slot_key) * interval '1 second',
                 bench_gen.now() - interval '1 minute')::timestamptz(0) as created_at
    from slots sl
)
select t.shop_id, t.shop_idx, t.cn, t.gn, t.created_at,
       row_number() over (partition by t.shop_id order by t.created_at, t.slot_key) as order_no
from timed t;
create index on bench_gen.orders (shop_id, order_no);
analyze bench_gen.orders;

-- name: people
-- names and e-mails of customers and guests, from their number
-- (issue 16, search) female first names carry the female form of the surname (Jana Nováková),
-- the surnames are skewed like real ones (the first of the list most common: u^1.8 picks low
-- indexes more often), and a customer is a man or a woman by stream 30
create function bench_gen.is_female(p_key bigint)
returns boolean
language sql immutable parallel safe
as $$
    select bench_gen.u(p_key, 30) < 0.5
$$;

create function bench_gen.first_name(p_key bigint)
returns text
language sql immutable parallel safe
as $$
    select case when bench_gen.is_female(p_key)
                then bench_gen.pick(array['Jana', 'Eva', 'Lucie', 'Kateřina', 'Tereza', 'Veronika', 'Michaela',
                                          'Anna', 'Barbora', 'Zuzana', 'Marie', 'Hana', 'Lenka', 'Petra',
                                          'Alena', 'Markéta', 'Klára', 'Jitka', 'Ivana', 'Šárka'], bench_gen.u(p_key, 31))
                else bench_gen.pick(array['Jan', 'Petr', 'Tomáš', 'Martin', 'Pavel', 'Jakub', 'Lukáš', 'David',
                                          'Ondřej', 'Marek', 'Jiří', 'Josef', 'Miroslav', 'Zdeněk', 'Václav',
                                          'Michal', 'Karel', 'Radek', 'Filip', 'Vojtěch'], bench_gen.u(p_key, 31)) end
$$;

create function bench_gen.last_name(p_key bigint)
returns text
language sql immutable parallel safe
as $$
    select (case when bench_gen.is_female(p_key)
                 then array['Nováková', 'Svobodová', 'Novotná', 'Dvořáková', 'Černá', 'Procházková', 'Kučerová',
                            'Veselá', 'Horáková', 'Němcová', 'Marková', 'Pospíšilová', 'Hájková', 'Jelínková',
                            'Králová', 'Růžičková', 'Benešová', 'Fialová', 'Sedláčková', 'Doležalová', 'Zemanová',
                            'Kolářová', 'Navrátilová', 'Čermáková', 'Vaňková', 'Urbanová', 'Blažková', 'Kříženecká',
                            'Kovářová', 'Bartošová', 'Vlčková', 'Poláková', 'Musilová', 'Kopecká', 'Šimková',
                            'Konečná', 'Malá', 'Holubová', 'Štěpánková', 'Čížková', 'Kadlecová', 'Staňková',
                            'Dušková', 'Vacková', 'Šťastná', 'Matoušková', 'Havlíčková', 'Řezníčková', 'Žáková',
                            'Ševčíková']
                 else array['Novák', 'Svoboda', 'Novotný', 'Dvořák', 'Černý', 'Procházka', 'Kučera', 'Veselý',
                            'Horák', 'Němec', 'Marek', 'Pospíšil', 'Hájek', 'Jelínek', 'Král', 'Růžička', 'Beneš',
                            'Fiala', 'Sedláček', 'Doležal', 'Zeman', 'Kolář', 'Navrátil', 'Čermák', 'Vaněk',
                            'Urban', 'Blažek', 'Kříženecký', 'Kovář', 'Bartoš', 'Vlček', 'Polák', 'Musil',
                            'Kopecký', 'Šimek', 'Konečný', 'Malý', 'Holub', 'Štěpánek', 'Čížek', 'Kadlec',
                            'Staněk', 'Dušek', 'Vacek', 'Šťastný', 'Matoušek', 'Havlíček', 'Řezníček', 'Žák',
                            'Ševčík'] end)[1 + floor(bench_gen.u(p_key, 32) ^ 1.8 * 50)::integer]
$$;

-- a phone number as people type it: +420 777 123 456, +420777123456, 777 123 456 or 777123456
create function bench_gen.phone(p_key bigint, p_stream integer)
returns text
language sql immutable parallel safe
as $$
    select case when f < 0.4 then '+420 ' || substr(d, 1, 3) || ' ' || substr(d, 4, 3) || ' ' || substr(d, 7, 3)
                when f < 0.7 then '+420' || d
                when f < 0.9 then substr(d, 1, 3) || ' ' || substr(d, 4, 3) || ' ' || substr(d, 7, 3)
                else d end
    from (select (600000000 + floor(bench_gen.u(p_key, p_stream) * 199999999))::bigint::text as d,
                 bench_gen.u(p_key, p_stream + 100) as f) x
$$;

-- 8 % of customers buy for a company (stream 43)
create function bench_gen.company(p_key bigint)
returns text
language sql immutable parallel safe
as $$
    select case when bench_gen.u(p_key, 43) < 0.08
                then bench_gen.pick(array['Stavby', 'Elektro', 'Dřevovýroba', 'Zahradnictví', 'Autoservis',
                                          'Účetnictví', 'Kavárna', 'Pekařství'], bench_gen.u(p_key, 44))
                     || ' ' || bench_gen.last_name(p_key + 7) || ' s.r.o.' end
$$;

-- customer cn of a shop: unique in the shop (the number is in it); one in eight typed with
-- capitals (kept so in accounts, as Shoptet sends it; the e-mail columns hold
-- core.normalize_email of it, as the importer stores them)
create function bench_gen.email_address(p_key bigint, p_n integer)
returns text
language sql immutable parallel safe
as $$
    select translate(lower(bench_gen.first_name(p_key) || '.' || bench_gen.last_name(p_key)),
                     'áčďéěíňóřšťúůýžÁČĎÉĚÍŇÓŘŠŤÚŮÝŽ', 'acdeeinorstuuyzacdeeinorstuuyz')
           || p_n || '@'
           || bench_gen.pick(array['seznam.cz', 'gmail.com', 'email.cz', 'centrum.cz', 'post.cz',
                                   'outlook.com', 'azet.sk'], bench_gen.u(p_key, 33))
$$;

create function bench_gen.customer_email(p_shop_idx integer, p_cn integer)
returns text
language sql immutable parallel safe
as $$
    select case when bench_gen.u((p_shop_idx::bigint << 40) + p_cn, 34) < 0.125
                then initcap(bench_gen.email_address((p_shop_idx::bigint << 40) + p_cn, p_cn))
                else bench_gen.email_address((p_shop_idx::bigint << 40) + p_cn, p_cn) end
$$;

-- name: customers
-- the customers of part :part of :parts (by customer number), registered just before their first order
insert into sales.customers (shop_id, guid, email, full_name, company, phone, customer_group, billing_address,
                             accounts, created_at, changed_at, deleted_at)
with first_order as (
    select o.shop_id, o.shop_idx, o.cn, min(o.created_at) as first_at
    from bench_gen.orders o
    where o.cn is not null and o.cn % :parts = :part
    group by o.shop_id, o.shop_idx, o.cn
),
c as (
    select f.*, bench_gen.customer_email(f.shop_idx, f.cn) as email,
           bench_gen.first_name(f.k) || ' ' || bench_gen.last_name(f.k) as full_name
    from (select f.*, (f.shop_idx::bigint << 40) + f.cn as k from first_order f) f
    offset 0  -- a fence: columns computed once per row (see bench_gen.order_lines)
)
select c.shop_id,
       md5(:seed || ':customer:' || c.shop_id || ':' || c.cn)::uuid,
       core.normalize_email(c.email),
       c.full_name,
       bench_gen.company(c.k),
       bench_gen.phone(c.k, 35),
       case when bench_gen.u(c.k, 36) < 0.05 then 'VIP' when bench_gen.u(c.k, 36) < 0.15 then 'Velkoobchod' end,
       jsonb_build_object('fullName', c.full_name,
                          'city', bench_gen.pick(array['Praha', 'Brno', 'Ostrava', 'Plzeň', 'Olomouc', 'Liberec',
                                                       'Bratislava', 'Košice'], bench_gen.u(c.k, 37)),
                          'zip', lpad((10000 + floor(bench_gen.u(c.k, 38) * 89999))::integer::text, 5, '0'),
                          'countryCode', case when c.shop_idx = 2 then 'SK' else 'CZ' end),
       jsonb_build_array(jsonb_build_object('email', c.email, 'mainAccount', true, 'authorized', true)),
       -- registered a little before the first order
       c.first_at - bench_gen.u(c.k, 39) * interval '30 minutes',
       c.first_at + bench_gen.u(c.k, 40) * (bench_gen.now() - c.first_at),
       case when bench_gen.u(c.k, 41) < 0.005 then bench_gen.now() - interval '1 day' end
from c;

-- name: catalog
-- lead times 3 .. 59 days; a purchase order costs 200 .. 2 000 CZK (EOQ's S); the holding
-- cost rate is left to the setting's default (25 % of the purchase price a year)
insert into catalog.suppliers (shop_id, guid, name, lead_time_days, ordering_cost)
select s.shop_id, md5(:seed || ':supplier:' || s.shop_id || ':' || n)::uuid,
       'Dodavatel ' || n || ' s.r.o.', 3 + floor(bench_gen.u(n, 51) * 57)::integer,
       200 + 50 * floor(bench_gen.u(n, 67) * 37)
from bench_gen.shops s, generate_series(1, 40) n;

-- the variants of each shop (bench_gen.variant_code): the other shops sell the first half of
-- the master's codes, each with its own product GUIDs
create view bench_gen.catalog as
select s.shop_id, s.shop_idx, j, bench_gen.product_no(j) as pn, (j / 4) % 2 = 1 as is_variant,
       bench_gen.variant_code(j) as code,
       case when (j / 4) % 2 = 1 then 'Velikost ' || (array['S', 'M', 'L', 'XL'])[j % 4 + 1] end as variant_name
from bench_gen.shops s, generate_series(0, s.n_variants - 1) j;

insert into catalog.products (shop_id, guid, name, type, visibility, brand_name, supplier_guid,
                              default_category_name, is_variant, created_at, changed_at, deleted_at, description)
select c.shop_id, md5(:seed || ':product:' || c.shop_id || ':' || c.pn)::uuid,
       bench_gen.product_name(c.pn),
       'product', case when bench_gen.u(c.pn, 54) < 0.05 then 'hidden' else 'visible' end,
       bench_gen.pick(array['Acme', 'Bohemia', 'Tatra', 'Moravia', 'Krkonoše'], bench_gen.u(c.pn, 55)),
       md5(:seed || ':supplier:' || c.shop_id || ':' || (1 + floor(bench_gen.u(c.pn, 56) * 40)::integer))::uuid,
       bench_gen.pick(array['Oblečení', 'Domácnost', 'Sport', 'Hračky', 'Knihy'], bench_gen.u(c.pn, 57)),
       c.is_variant, bench_gen.now() - interval '3 years' - bench_gen.u(c.pn, 58) * interval '2 years',
       bench_gen.now() - bench_gen.u(c.pn, 59) * interval '300 days',
       case when bench_gen.u(c.pn, 60) < 0.01 then bench_gen.now() - interval '10 days' end,
       bench_gen.product_description(c.pn)
from bench_gen.catalog c
where c.j = c.pn;

insert into catalog.variants (shop_id, code, product_guid, ean, name, stock, unit, price, common_price,
                              purchase_price, currency, vat_rate, including_vat, visible, availability,
                              min_stock_supply, weight, changed_at)
select c.shop_id, c.code, md5(:seed || ':product:' || c.shop_id || ':' || c.pn)::uuid,
       (8590000000000 + floor(bench_gen.u(c.j, 61) * 9999999))::bigint::text,
       c.variant_name,
       case when bench_gen.u(c.j + c.shop_idx * 1000000, 62) < 0.1 then 0
            else floor(bench_gen.u(c.j + c.shop_idx * 1000000, 63) * 250) end,
       'ks', bench_gen.variant_price(c.j),
       case when bench_gen.u(c.j, 64) < 0.2 then round(bench_gen.variant_price(c.j) * 1.25, 0) end,
       round(bench_gen.variant_price(c.j) / 1.21 * (0.45 + 0.3 * bench_gen.u(c.j, 65))::numeric, 2),
       'CZK', case when bench_gen.u(c.pn, 52) > 0.6 then 12 else 21 end, true, true,
       case when bench_gen.u(c.j + c.shop_idx * 1000000, 62) < 0.1 then 'Vyprodáno' else 'Skladem' end,
       5, round((0.1 + bench_gen.u(c.j, 66) * 3)::numeric, 3),
       bench_gen.now() - bench_gen.u(c.pn, 59) * interval '300 days'
from bench_gen.catalog c;

-- name: lines
-- The lines of an order, from its key: 1 + floor(Exp(3.25)) product lines (variants chosen
-- Zipf-like), one shipping, one billing (payment method) and, in 12 % of orders, a discount
-- coupon of 10 % of the first line. Prices in the order currency (EUR: CZK / rate).
-- An inlinable SQL function: the orders use it for their totals, the items insert its rows.
create function bench_gen.order_lines(p_okey bigint, p_eur boolean, p_rate numeric, p_n_variants integer)
returns table (item_no integer, item_type text, j integer, name text, amount numeric,
               unit_with_vat numeric, total_with_vat numeric, total_without_vat numeric, vat_rate numeric)
language sql immutable parallel safe
as $$
    -- each step is a subquery fenced with `offset 0` so that the planner computes its columns
    -- once per row instead of copying the expressions into every later use
    select c.i, c.item_type, c.j, c.name, c.amount, c.unit_price,
           round(c.unit_price * c.amount, 2),
           round(c.unit_price * c.amount / (1 + c.vat_rate / 100), 2),
           c.vat_rate
    from (
        select p.*, case when p_eur then round(p.unit_czk / p_rate, 2) else p.unit_czk end as unit_price
        from (
            select l.i, l.item_type, l.j,
                   case l.item_type
                        when 'product' then null  -- bench_gen.items names products: the totals need no names
                        when 'shipping' then bench_gen.pick(array['PPL', 'Zásilkovna', 'Česká pošta', 'DPD', 'Osobní odběr'], l.u_ship)
                        when 'billing' then bench_gen.pick(array['Dobírkou', 'Převodem', 'Kartou online', 'Kartou online'], l.u_bill)
                        else 'Slevový kupón' end as name,
                   case when l.item_type = 'product'
                        then case when l.u_amount < 0.75 then 1 when l.u_amount < 0.93 then 2
                                  else 3 + floor(bench_gen.u(p_okey * 64 + l.i, 17) * 3) end
                        else 1 end::numeric(14,3) as amount,
                   case l.item_type
                        when 'product' then bench_gen.variant_price(l.j)
                        when 'shipping' then (array[89, 79, 99, 119, 0])[1 + floor(l.u_ship * 5)::integer]
                        when 'billing' then (array[39, 0, 0, 0])[1 + floor(l.u_bill * 4)::integer]
                        else -round(bench_gen.variant_price(l.first_j) * 0.10, 0) end::numeric as unit_czk,
                   case when l.item_type = 'product' and bench_gen.u(l.j, 52) > 0.6 then 12 else 21 end::numeric as vat_rate
            from (
                select i,
                       case when i <= sp.n_products then 'product'
                            when i = sp.n_products + 1 then 'shipping'
                            when i = sp.n_products + 2 then 'billing'
                            else 'discount-coupon' end as item_type,
                       case when i <= sp.n_products
                            then floor(p_n_variants * bench_gen.u(p_okey * 64 + i, 13) ^ 2.5)::integer end as j,
                       bench_gen.u(p_okey * 64 + i, 16) as u_amount,
                       sp.first_j, sp.u_ship, sp.u_bill
                from (
                    select 1 + least(40, floor(-ln(1 - bench_gen.u(p_okey, 11)) * 3.25))::integer as n_products,
                           bench_gen.u(p_okey, 12) < 0.12 as coupon,
                           floor(p_n_variants * bench_gen.u(p_okey * 64 + 1, 13) ^ 2.5)::integer as first_j,
                           bench_gen.u(p_okey, 14) as u_ship,
                           bench_gen.u(p_okey, 15) as u_bill
                    offset 0
                ) sp,
                generate_series(1, sp.n_products + 2 + sp.coupon::integer) i
                offset 0
            ) l
            offset 0
        ) p
        offset 0
    ) c
$$;

-- name: orders
-- the orders of part :part of :parts (by order number), totals = the sum of their lines
insert into sales.orders (shop_id, code, guid, created_at, changed_at, status_id, status_name,
                          source_id, source_name, email, phone, full_name, company, customer_guid, paid,
                          total_with_vat, total_without_vat, total_vat, to_pay, currency, exchange_rate,
                          shipping_name, payment_method_name, billing_method_id, language, vat_payer,
                          billing_address, deleted_at)
with o as (
    select o.shop_id, o.shop_idx, o.cn, o.gn, o.created_at, o.order_no, s.n_variants, s.language,
           (o.shop_idx::bigint << 36) + o.order_no as okey,
           bench_gen.u((o.shop_idx::bigint << 36) + o.order_no, 6) < s.eur_share as eur,
           -- 8 % of guest orders: a registered customer who did not log in
           case when o.gn is not null and bench_gen.u((o.shop_idx::bigint << 36) + o.order_no, 7) < 0.08
                then 1 + floor(bench_gen.u((o.shop_idx::bigint << 36) + o.order_no, 8) * s.n_customers)::integer end as as_cn
    from bench_gen.orders o
    join bench_gen.shops s using (shop_id)
    where o.order_no % :parts = :part
    offset 0  -- a fence: columns computed once per row (see bench_gen.order_lines)
),
st as (
    select o.*, case when o.eur then bench_gen.eur_rate(o.created_at::date) else 1 end as rate,
           case when o.created_at > bench_gen.now() - interval '21 days'
                then case when bench_gen.u(o.okey, 9) < 0.40 then -1
                          when bench_gen.u(o.okey, 9) < 0.65 then -3
                          when bench_gen.u(o.okey, 9) < 0.93 then -2 else -4 end
                else case when bench_gen.u(o.okey, 9) < 0.91 then -2
                          when bench_gen.u(o.okey, 9) < 0.98 then -4 else -3 end
           end as status_id,
           (o.shop_idx::bigint << 40) + coalesce(o.cn, o.as_cn) as ckey,
           bench_gen.first_name((o.shop_idx::bigint << 40) + coalesce(o.cn, o.as_cn, -o.order_no)) || ' '
               || bench_gen.last_name((o.shop_idx::bigint << 40) + coalesce(o.cn, o.as_cn, -o.order_no)) as full_name,
           case when o.cn is not null then bench_gen.customer_email(o.shop_idx, o.cn)
                when o.as_cn is not null then bench_gen.customer_email(o.shop_idx, o.as_cn) end as account_email
    from o
    offset 0
)
select st.shop_id, (1000000000 + st.order_no)::text,
       -- Shoptet's guid is null on some old orders
       case when st.created_at < bench_gen.now() - interval '30 months' and bench_gen.u(st.okey, 10) < 0.3 then null
            else md5(:seed || ':order:' || st.shop_id || ':' || st.order_no)::uuid end,
       st.created_at,
       st.created_at + bench_gen.u(st.okey, 18) * least(bench_gen.now() - st.created_at, interval '10 days'),
       st.status_id,
       case st.status_id when -1 then 'Nevyřízená' when -2 then 'Vyřízená' when -3 then 'Vyřizuje se'
                         else 'Stornována' end,
       -1, 'E-shop',
       -- typed variously at the source; stored as core.normalize_email gives it (as the importer does)
       core.normalize_email(
       case when st.cn is not null
            then case when bench_gen.u(st.okey, 19) < 0.1 then upper(st.account_email) else st.account_email end
            when st.as_cn is not null then ' ' || initcap(st.account_email)
            else 'host' || st.gn || '@' || bench_gen.pick(array['seznam.cz', 'gmail.com', 'email.cz', 'centrum.cz'],
                                                         bench_gen.u(st.gn, 20)) end),
       bench_gen.phone(st.okey, 22),
       st.full_name,
       case when st.ckey is not null then bench_gen.company(st.ckey) end,
       case when st.cn is not null then md5(:seed || ':customer:' || st.shop_id || ':' || st.cn)::uuid end,
       st.status_id = -2 or (st.status_id <> -4 and t.payment <> 'Dobírkou'),
       t.total_with_vat, t.total_without_vat, t.total_with_vat - t.total_without_vat,
       case when st.status_id = -2 or t.payment <> 'Dobírkou' then 0 else t.total_with_vat end,
       case when st.eur then 'EUR' else 'CZK' end, st.rate,
       t.shipping, t.payment,
       case t.payment when 'Dobírkou' then 1 when 'Převodem' then 2 else 4 end,
       st.language, true,
       jsonb_build_object('fullName', st.full_name,
                          'city', bench_gen.pick(array['Praha', 'Brno', 'Ostrava', 'Plzeň', 'Olomouc', 'Liberec',
                                                       'Bratislava', 'Košice'], bench_gen.u(coalesce(st.ckey, st.okey), 37)),
                          'countryCode', case when st.shop_idx = 2 then 'SK' else 'CZ' end),
       case when bench_gen.u(st.okey, 23) < 0.002 then st.created_at + interval '1 day' end
from st
cross join lateral (
    select sum(l.total_with_vat) as total_with_vat, sum(l.total_without_vat) as total_without_vat,
           max(l.name) filter (where l.item_type = 'shipping') as shipping,
           max(l.name) filter (where l.item_type = 'billing') as payment
    from bench_gen.order_lines(st.okey, st.eur, st.rate, st.n_variants) l
) t;

-- name: items
-- the lines of the orders of part :part of :parts, hot ones into sales.order_items, those older
-- than ops.order_items_hot_from() into archive.order_items (as retention would have put them)
create view bench_gen.items as
select o.shop_id, o.code as order_code, bo.order_no, bo.order_no * 64 + l.item_no as item_id,
       o.created_at, l.item_type,
       case when l.item_type = 'product' then 'product' end as product_type,
       case when l.item_type = 'product'
            then md5(:seed || ':product:' || o.shop_id || ':' || bench_gen.product_no(l.j))::uuid end as product_guid,
       case when l.item_type = 'product' then bench_gen.variant_code(l.j) end as code,
       coalesce(l.name, bench_gen.product_name(bench_gen.product_no(l.j))) as name, l.amount, l.unit_with_vat, round(l.unit_with_vat / (1 + l.vat_rate / 100), 2) as unit_without_vat,
       l.total_with_vat, l.total_without_vat, l.total_with_vat - l.total_without_vat as total_vat, l.vat_rate,
       case when l.item_type = 'product' then round(bench_gen.variant_price(l.j) / 1.21 * (0.45 + 0.3 * bench_gen.u(l.j, 65))::numeric, 2) end as purchase_price,
       o.status_id, o.status_name, o.deleted_at
from bench_gen.orders bo
join bench_gen.shops s using (shop_id)
-- the order as the orders section wrote it: its code is made from the order number, never parsed
-- back (order codes are strings; other shops in the database have codes such as 'E-2025-00488')
join sales.orders o on o.shop_id = bo.shop_id and o.code = (1000000000 + bo.order_no)::text
cross join lateral bench_gen.order_lines((s.shop_idx::bigint << 36) + bo.order_no,
                                         o.currency = 'EUR', o.exchange_rate, s.n_variants) l;

-- name: items_hot
insert into sales.order_items (shop_id, order_code, item_id, created_at, item_type, product_type, product_guid,
                               code, name, amount, amount_unit, unit_price_with_vat, unit_price_without_vat,
                               total_with_vat, total_without_vat, total_vat, vat_rate, purchase_price,
                               status_id, status_name, deleted_at)
select shop_id, order_code, item_id, created_at, item_type, product_type, product_guid, code, name, amount,
       'ks', unit_with_vat, unit_without_vat, total_with_vat, total_without_vat, total_vat, vat_rate,
       purchase_price, status_id, status_name, deleted_at
from bench_gen.items i
where i.order_no % :parts = :part
  and i.created_at >= (select ops.order_items_hot_from());

-- name: items_archive
insert into archive.order_items (shop_id, order_code, item_id, created_at, item_type, product_type, product_guid,
                                 code, name, amount, amount_unit, unit_price_with_vat, unit_price_without_vat,
                                 total_with_vat, total_without_vat, total_vat, vat_rate, purchase_price,
                                 status_id, status_name, deleted_at)
select shop_id, order_code, item_id, created_at, item_type, product_type, product_guid, code, name, amount,
       'ks', unit_with_vat, unit_without_vat, total_with_vat, total_without_vat, total_vat, vat_rate,
       purchase_price, status_id, status_name, deleted_at
from bench_gen.items i
where i.order_no % :parts = :part
  and i.created_at < (select ops.order_items_hot_from());

-- name: partitions
-- every quarter of the data has its partition before a line is written (old ones in archive)
select ops.ensure_partitions(bench_gen.now() - interval '3 years', bench_gen.now());

-- name: others_have_data
-- true when a shop other than the bench shops has commerce rows (then clear deletes, else truncates)
select exists (select from sales.orders where shop_id not in (select shop_id from bench_gen.shops))
    or exists (select from sales.customers where shop_id not in (select shop_id from bench_gen.shops))
    or exists (select from archive.order_items where shop_id not in (select shop_id from bench_gen.shops))
    or exists (select from catalog.products where shop_id not in (select shop_id from bench_gen.shops))
    or exists (select from catalog.suppliers where shop_id not in (select shop_id from bench_gen.shops))
    or exists (select from analytics.customer_metrics_base where shop_id not in (select shop_id from bench_gen.shops))
    or exists (select from analytics.variant_demand where shop_id not in (select shop_id from bench_gen.shops));

-- name: metrics
-- analytics.customer_metrics of the bench shops of part :part of :parts
select coalesce(sum(analytics.refresh_customer_metrics(s.shop_id)), 0)
from bench_gen.shops s
where s.shop_idx % :parts = :part;

-- name: finish
drop schema bench_gen cascade;
