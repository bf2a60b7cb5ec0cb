/*
 * catalog.translation_sync_defer(p_shop_id): the waiting translation sync job of a shop (task
 * sync_translations on queue translations, procrastinate lock shop:<id>:translations, queueing
 * lock translations:<id>), deferred when none waits; returns its id. What `hub translate sync
 * --queue` and the periodic dispatcher call (runner/tasks.py defers the same job from Python).
 */
create or replace function catalog.translation_sync_defer(p_shop_id bigint)
returns bigint
language plpgsql
set search_path = pg_catalog, procrastinate
as $$
declare
    v_queueing_lock text := format('translations:%s', p_shop_id);
    v_id bigint;
    v_try integer;
begin
    if not exists (select from core.shops s where s.shop_id = p_shop_id) then
        raise exception 'no shop % (hub shop list)', p_shop_id using errcode = '22023';
    end if;
    for v_try in 1 .. 3 loop
        select j.id into v_id from procrastinate_jobs j where j.queueing_lock = v_queueing_lock and j.status = 'todo';
        exit when v_id is not null;
        begin
            v_id := (procrastinate_defer_jobs_v1(array[row(
                'translations', 'sync_translations', 0, format('shop:%s:translations', p_shop_id), v_queueing_lock,
                jsonb_build_object('shop_id', p_shop_id), null
            )::procrastinate_job_to_defer_v1]))[1];
        exception when unique_violation then
            v_id := null;
        end;
        exit when v_id is not null;
    end loop;
    return v_id;
end
$$;

comment on function catalog.translation_sync_defer(bigint) is
    'The waiting sync_translations job of a shop (queue translations, lock shop:<id>:translations), deferred when none waits; its id';
