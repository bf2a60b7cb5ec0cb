-- Search (issue 16): full-text over product descriptions, a tier of catalog.search_products after
-- the name and code tiers (docs/search.md). An expression GIN index over
-- catalog.description_vector(description) -- the folded plain text of the HTML in the 'simple'
-- configuration -- written by every statement that writes catalog.products (snapshot import, sync,
-- webhooks: all through ingest.apply_products), so no indexing job and no new column (the COPY
-- column lists stay as they are). Partial on live products with a description.
--
-- The index key depends on what channels.plain_text and core.search_fold (0143) return: plain_text
-- and the key function are copied here as they were when the index was built, and
-- tests/test_search_fts.py holds the files equal to these copies; changing what either returns
-- needs a migration that re-creates it and rebuilds the index.

create or replace function channels.plain_text(p_html text)
returns text
language sql
immutable
parallel safe
return nullif(btrim(regexp_replace(
        regexp_replace(
            replace(replace(replace(replace(replace(replace(
                regexp_replace(
                    replace(
                        regexp_replace(
                            regexp_replace(p_html, '<(script|style)\M.*?</(script|style)\s*>', ' ', 'gi'),
                            '<[^>]*>', ' ', 'g'),
                        '&#39;', ''''),
                    '&#(x[0-9a-fA-F]{1,6}|[0-9]{1,7});', '', 'g'),
                '&nbsp;', ' '), '&quot;', '"'), '&apos;', ''''), '&lt;', '<'), '&gt;', '>'), '&amp;', '&'),
            '[\x01-\x08\x0B\x0C\x0E-\x1F\x7F\uFFFE\uFFFF]', '', 'g'),
        '\s+', ' ', 'g')), '');

comment on function channels.plain_text(text) is
    'Plain text of HTML for feeds: tags and script/style content removed, entities amp/lt/gt/quot/apos/#39/nbsp decoded, '
    'other numeric character references dropped, XML-forbidden characters removed, white space collapsed; blank -> null';

create or replace function catalog.description_vector(p_html text)
returns tsvector
language sql
immutable
parallel safe
return pg_catalog.to_tsvector('pg_catalog.simple'::regconfig, core.search_fold(channels.plain_text(p_html)));

comment on function catalog.description_vector(text) is
    'Full-text document of a product description: to_tsvector(''simple'', core.search_fold(channels.plain_text(html))); '
    'key of the index products_search_description; null for null or blank HTML';

create index products_search_description on catalog.products using gin (catalog.description_vector(description))
    where deleted_at is null and description is not null;
