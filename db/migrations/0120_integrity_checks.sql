-- role: superuser
-- `hub db check` (the ops.check_* functions) verifies B-tree indexes with amcheck's
-- bt_index_check. amcheck is installed by migration 0001; its functions are revoked from public,
-- so hub_owner, which owns the security-definer function ops.check_btree_index that calls it, is
-- granted the read-only checks: bt_index_check takes the same lock as a SELECT, never a write
-- lock. bt_index_parent_check (a share lock: blocks writes) is left to superusers.
grant execute on function public.bt_index_check(regclass) to hub_owner;
grant execute on function public.bt_index_check(regclass, boolean) to hub_owner;
