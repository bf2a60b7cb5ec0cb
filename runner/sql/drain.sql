-- Queries of runner/shoptet/drain.py and runner/shoptet/entity_lock.py; the rules of the waiting
-- webhook keys live in the ingest.webhook_* functions.

-- name: claim
-- the next waiting keys of the shop's entity (p_final: the drain's last look, see ingest.webhook_claim)
select key_kind, key, seq
from ingest.webhook_claim(%(shop_id)s, %(entity)s, %(limit)s, %(exclude_kinds)s, %(exclude_keys)s, %(final)s);

-- name: done
select ingest.webhook_done(%(shop_id)s, %(entity)s, %(kinds)s, %(keys)s, %(seqs)s);

-- name: key_failed
select attempts, gave_up
from ingest.webhook_key_failed(%(shop_id)s, %(entity)s, %(kind)s, %(key)s, %(seq)s, %(error)s, %(give_up)s,
                               %(max_attempts)s);

-- name: defer
-- the shop's next drain (the waiting one, or a new one not before now + delay)
select ingest.webhook_drain_defer(%(shop_id)s, %(entity)s, now() + make_interval(secs => %(delay)s));

-- name: lock_timeout
-- how long the next lock of this transaction may wait (then LockNotAvailable)
select set_config('lock_timeout', %(timeout)s, true);

-- name: write_lock
-- the write lock of a shop's entity (session lock): a drain for its run, a sync for each batch
select pg_advisory_lock(hashtextextended('hub.write:' || %(shop_id)s::bigint || ':' || %(entity)s::text, 0));

-- name: write_unlock
select pg_advisory_unlock(hashtextextended('hub.write:' || %(shop_id)s::bigint || ':' || %(entity)s::text, 0));

-- name: write_wanted_announce
-- a sync batch or an import is about to wait for the write lock: the drain holding it lets it go
select pg_advisory_lock_shared(hashtextextended('hub.write_wanted:' || %(shop_id)s::bigint || ':' || %(entity)s::text, 0));

-- name: write_wanted_withdraw
select pg_advisory_unlock_shared(hashtextextended('hub.write_wanted:' || %(shop_id)s::bigint || ':' || %(entity)s::text, 0));

-- name: write_wanted
-- does anyone wait for the write lock (holds the announcement)? The probe is a transaction lock: gone at commit
select not pg_try_advisory_xact_lock(hashtextextended('hub.write_wanted:' || %(shop_id)s::bigint || ':' || %(entity)s::text, 0));

-- name: open
select ingest.webhook_drain_open(%(shop_id)s, %(entity)s, %(job_id)s);

-- name: close
select ingest.webhook_drain_close(%(shop_id)s, %(entity)s, %(job_id)s);

-- name: write_long_begin
-- a snapshot import is about to hold the write lock for minutes: drains come back later instead of waiting
select pg_advisory_lock_shared(hashtextextended('hub.write_long:' || %(shop_id)s::bigint || ':' || %(entity)s::text, 0));

-- name: write_long_end
select pg_advisory_unlock_shared(hashtextextended('hub.write_long:' || %(shop_id)s::bigint || ':' || %(entity)s::text, 0));

-- name: write_long
-- is a snapshot import holding (or about to hold) the write lock? The probe is a transaction lock: gone at commit
select not pg_try_advisory_xact_lock(hashtextextended('hub.write_long:' || %(shop_id)s::bigint || ':' || %(entity)s::text, 0));
