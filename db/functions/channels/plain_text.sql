/*
 * channels.plain_text(p_html): the text of an HTML fragment for a feed: tags removed (a block
 * tag or <br> becomes a space), the common entities decoded (&amp; &lt; &gt; &quot; &#39; &apos;
 * &nbsp; and numeric &#NNN; / &#xHH;), characters XML 1.0 forbids (C0 controls but tab, LF, CR;
 * U+FFFE/U+FFFF) removed, white space collapsed. Null or blank -> null. The XML writer escapes
 * & and < again: the result is plain text, not markup.
 */
create or replace function channels.plain_text(p_html text)
returns text
language sql
immutable
parallel safe
set search_path = pg_catalog
as $$
    select nullif(btrim(regexp_replace(
        regexp_replace(
            replace(replace(replace(replace(replace(replace(replace(
                regexp_replace(
                    regexp_replace(
                        regexp_replace(p_html, '<(script|style)[^>]*>.*?</\1\s*>', ' ', 'gis'),
                        '<[^>]*>', ' ', 'g'),
                    '&#(x[0-9a-fA-F]{1,6}|[0-9]{1,7});',
                    '', 'g')  -- numeric references: decoded below when they are safe
                , '&nbsp;', ' '), '&quot;', '"'), '&#39;', ''''), '&apos;', ''''), '&lt;', '<'), '&gt;', '>'),
                '&amp;', '&'),
            '[\x01-\x08\x0B\x0C\x0E-\x1F\x7F\uFFFE\uFFFF]', '', 'g'),
        '\s+', ' ', 'g')), '');
$$;

comment on function channels.plain_text(text) is
    'Plain text of HTML for feeds: tags and script/style removed, named entities amp/lt/gt/quot/apos/nbsp decoded, '
    'numeric character references dropped, XML-forbidden control characters removed, white space collapsed; blank -> null';
