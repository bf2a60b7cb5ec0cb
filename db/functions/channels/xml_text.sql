/*
 * channels.xml_text(p_text): p_text without the characters XML 1.0 cannot hold (C0 controls
 * except tab, LF and CR; U+FFFE, U+FFFF), so that the feed writer never fails on catalogue
 * text. Escaping of & and < is the writer's (lxml). Null stays null.
 *
 * A SQL-standard body without SET (bound when created, like core.normalize_guid): the planner
 * inlines it into the feed queries, which call it for every item.
 */
create or replace function channels.xml_text(p_text text)
returns text
language sql
immutable
parallel safe
return case when p_text ~ '[\x01-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]'
            then regexp_replace(p_text, '[\x01-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]', '', 'g')
            else p_text end;

comment on function channels.xml_text(text) is 'Text without XML-forbidden characters (C0 controls but tab/LF/CR, U+FFFE/U+FFFF); null stays null';
