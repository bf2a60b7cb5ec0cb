/*
 * channels.cut_text(p_text, p_max): p_text cut to at most p_max characters at a word boundary:
 * the longest prefix ending before a space, when that keeps at least half of p_max, else a hard
 * cut; trailing spaces and punctuation , ; : - are trimmed. Null stays null.
 *
 * A SQL-standard body without SET (bound when created, like core.normalize_guid): the planner
 * inlines it into the feed queries, which call it for every item.
 */
create or replace function channels.cut_text(p_text text, p_max integer)
returns text
language sql
immutable
parallel safe
return case
        when p_text is null or char_length(p_text) <= p_max then p_text
        else rtrim(case
            when position(' ' in reverse(left(p_text, p_max + 1))) between 1 and p_max / 2 + 1
                then left(p_text, p_max + 1 - position(' ' in reverse(left(p_text, p_max + 1))))
            else left(p_text, p_max)
        end, ' ,;:-')
    end;

comment on function channels.cut_text(text, integer) is
    'Text cut to at most p_max characters at a word boundary (hard cut when no space in the last half); trailing , ; : - trimmed';
