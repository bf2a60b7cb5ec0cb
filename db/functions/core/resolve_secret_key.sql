/*
 * core.resolve_secret_key(p_secret_key): the key to encrypt or decrypt secrets with:
 * the argument, else the session setting hub.secret_key (psql: set hub.secret_key = '...').
 */
create or replace function core.resolve_secret_key(p_secret_key text)
returns text
language plpgsql
stable
set search_path = pg_catalog
as $$
declare
    v_key text := coalesce(nullif(p_secret_key, ''), nullif(current_setting('hub.secret_key', true), ''));
begin
    if v_key is null then
        raise exception 'no secret key given'
            using errcode = '28000',
                  hint = 'pass it as the last argument, or run: set hub.secret_key = ''<HUB_SECRET_KEY>''';
    end if;
    return v_key;
end
$$;

comment on function core.resolve_secret_key(text) is
    'The secret key: the argument, else session setting hub.secret_key; error when neither is set';
