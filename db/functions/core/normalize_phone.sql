/*
 * core.normalize_phone(p_phone): a phone number as searched -- its digits only, and for Czech
 * (+420) and Slovak (+421) numbers the 9-digit national number without the country prefix, however
 * it was typed: '+420 777 123 456', '+420777123456', '00420 777 123 456', '777 123 456',
 * '777-123-456' -> '777123456'. Other numbers keep all their digits ('+49 30 1234567' ->
 * '49301234567'); no digit -> null. Not a validation: any text is accepted.
 *
 * Used by the indexes customers_search_phone and orders_search_phone (collate "C": exact and
 * prefix) and by the search functions on the query. Indexes store its results (migrations 0143, 0220).
 */
create or replace function core.normalize_phone(p_phone text)
returns text
language plpgsql
immutable
strict
parallel safe
-- no SET search_path (its save and restore per call would cost more than the body): every name is
-- qualified
as $$
declare
    v_digits text := pg_catalog.regexp_replace(p_phone, '[^0-9]', '', 'g');
begin
    if (pg_catalog.length(v_digits) = 12 and pg_catalog.left(v_digits, 3) in ('420', '421'))
       or (pg_catalog.length(v_digits) = 14 and pg_catalog.left(v_digits, 5) in ('00420', '00421')) then
        return pg_catalog.right(v_digits, 9);
    end if;
    return nullif(v_digits, '');
end;
$$;

comment on function core.normalize_phone(text) is
    'Phone search key: digits only; +420/+421/00420/00421 numbers as their 9-digit national number (+420 777 123 456 -> 777123456); no digit -> null';
