/*
 * analytics.resolve_customer_keys(p_shop_id, p_keys): the customer keys of a shop meant by keys as
 * a person types them (docs/analytics.md: "a GUID in any case, an e-mail ..."), one row per given
 * key: (given, customer_key). A key is first normalised (analytics.normalize_customer_key); then
 *   - a GUID is its own key (a registered customer's orders carry it);
 *   - an e-mail that is the account e-mail of a registered customer of the shop
 *     (sales.customer_by_email, index customers_shop_email) -> that customer's GUID key: the
 *     customer metrics count a registered customer's orders under the GUID, never the e-mail;
 *   - else the e-mail of a customer in analytics.customer_metrics_base (index
 *     customer_metrics_shop_email: the guest's e-mail, or a registered customer's latest order
 *     e-mail when the account is not mirrored) -> that key, the guest's own key first, then the
 *     customer who ordered last;
 *   - else the normalised e-mail (a guest, or someone who has bought nothing).
 * Blank or null keys give no row. Before this function an e-mail of a registered customer found
 * nobody (the key of guests only), so recommendations ignored what they had bought.
 */
create or replace function analytics.resolve_customer_keys(p_shop_id bigint, p_keys text[])
returns table (given text, customer_key text)
language sql
stable
set search_path = pg_catalog
as $$
    select g.given,
           (case when core.normalize_guid(g.key) is not null then g.key
                 else coalesce((select pg_catalog.lower(c.guid::text)
                                from sales.customer_by_email(p_shop_id, g.key) c
                                limit 1),
                               (select m.customer_key
                                from analytics.customer_metrics_base m
                                where m.shop_id = p_shop_id and m.email = g.key
                                order by (m.customer_key = g.key) desc, m.last_order_at desc nulls last,
                                         m.customer_key
                                limit 1),
                               g.key)
            end) collate "C"
    from (select x as given, analytics.normalize_customer_key(x) as key
          from unnest(p_keys) x) g
    where g.key is not null
$$;

comment on function analytics.resolve_customer_keys(bigint, text[]) is
    'Typed customer keys of a shop -> (given, customer_key): a GUID itself; an e-mail -> the registered customer with that account e-mail (sales.customer_by_email), else the customer_metrics customer with that e-mail (guest first), else the normalised e-mail';
