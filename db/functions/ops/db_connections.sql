/*
 * ops.db_connections: client sessions of the hub's database by role and state (active, idle,
 * idle in transaction, ...), with how long the oldest has been in that state. Many `idle in
 * transaction` sessions, or an old one, hold locks and stop vacuum. hub_app sees the state of
 * its own sessions only (others show state null); hub_readonly sees all (pg_read_all_stats).
 */
create or replace view ops.db_connections as
select a.usename as role, a.state, count(*) as connections,
       greatest(max(now() - a.state_change), interval '0') as longest_in_state,
       greatest(max(now() - a.xact_start), interval '0') as oldest_transaction
from pg_stat_activity a
where a.datname = current_database() and a.backend_type = 'client backend'
group by a.usename, a.state;

comment on view ops.db_connections is
    'Client sessions of the hub database per role and state, with the longest time in that state and oldest transaction';
