/*
 * core.settings_masked: every setting with secrets shown as ******** — what `hub settings list` shows.
 */
create or replace view core.settings_masked as
select
    s.shop_id,
    s.key,
    s.value_type,
    case when s.is_secret then '********' else s.value #>> '{}' end as value,
    s.is_secret,
    s.updated_at,
    s.updated_by
from core.settings s;

comment on view core.settings_masked is 'Every setting, secrets masked; what `hub settings list` shows';
