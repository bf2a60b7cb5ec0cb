/*
 * channels.plain_text(p_html): the text of an HTML fragment for a feed: tags removed (each
 * becomes a space; script and style elements with their content), the common entities decoded
 * (&amp; &lt; &gt; &quot; &#39; &apos; &nbsp;), other numeric references (&#NNN;, &#xHH;)
 * dropped, characters XML 1.0 forbids (C0 controls but tab, LF, CR; DEL; U+FFFE/U+FFFF)
 * removed, white space collapsed. Null or blank -> null. The XML writer escapes & and < again:
 * the result is plain text, not markup.
 *
 * A SQL-standard body without SET (bound when created, like core.normalize_guid): the planner
 * inlines it into the feed queries, which call it once per product. Written for speed (each
 * regexp_replace match costs about a microsecond): the script/style and numeric-reference passes
 * run only when p_html holds '<s' / '&#' at all; a run of tags with the white space after it is
 * one match; the collapse matches only runs that are not already a single space. Numeric
 * references go before the tags (they hold no < or >, so no tag changes); the result is the
 * same as tags, then references, then entities, then one space per white-space run.
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
                    case when strpos(p_html, '&#') > 0
                         then regexp_replace(
                             replace(case when strpos(p_html, '<s') > 0 or strpos(p_html, '<S') > 0
                                          then regexp_replace(p_html, '<(script|style)\M.*?</(script|style)\s*>', ' ', 'gi')
                                          else p_html end,
                                     '&#39;', ''''),
                             '&#(x[0-9a-fA-F]{1,6}|[0-9]{1,7});', '', 'g')
                         else case when strpos(p_html, '<s') > 0 or strpos(p_html, '<S') > 0
                                   then regexp_replace(p_html, '<(script|style)\M.*?</(script|style)\s*>', ' ', 'gi')
                                   else p_html end
                    end,
                    '(?:<[^>]*>\s*)+', ' ', 'g'),
                '&nbsp;', ' '), '&quot;', '"'), '&apos;', ''''), '&lt;', '<'), '&gt;', '>'), '&amp;', '&'),
            '[\x01-\x08\x0B\x0C\x0E-\x1F\x7F\uFFFE\uFFFF]', '', 'g'),
        '\s{2,}|(?! )\s', ' ', 'g')), '');

comment on function channels.plain_text(text) is
    'Plain text of HTML for feeds: tags and script/style content removed, entities amp/lt/gt/quot/apos/#39/nbsp decoded, '
    'other numeric character references dropped, XML-forbidden characters removed, white space collapsed; blank -> null';
