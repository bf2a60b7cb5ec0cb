/*
 * channels.plain_text(p_html): the text of an HTML fragment for a feed: tags removed (each
 * becomes a space; script and style elements with their content), the common entities decoded
 * (&amp; &lt; &gt; &quot; &#39; &apos; &nbsp;), other numeric references (&#NNN;, &#xHH;)
 * dropped, characters XML 1.0 forbids (C0 controls but tab, LF, CR; DEL; U+FFFE/U+FFFF)
 * removed, white space collapsed. Null or blank -> null. The XML writer escapes & and < again:
 * the result is plain text, not markup.
 *
 * A SQL-standard body without SET (bound when created, like core.normalize_guid): the planner
 * inlines it into the feed queries, which call it for every item.
 */
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
