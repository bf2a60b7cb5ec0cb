/*
 * ops.recent_errors: warnings and errors of the last 24 hours from ops.events (what workers and
 * the web app logged, and SQL maintenance), newest first.
 */
create or replace view ops.recent_errors as
select e.event_id, e.at, e.level, e.source, e.shop_id, e.message, e.context
from ops.events e
where e.level in ('warning', 'error', 'critical') and e.at > now() - interval '24 hours'
order by e.at desc, e.event_id desc;

comment on view ops.recent_errors is 'ops.events of level warning, error or critical from the last 24 hours, newest first';
