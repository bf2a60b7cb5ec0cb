-- channels.xml_text is called by nothing: the feed writer removes the characters XML 1.0 cannot
-- hold itself (runner/feeds/formats.py), one test per written item instead of a regular
-- expression per text value. Its file is gone from db/functions/channels/.
--
-- A database migrated before the feed writer moved to Python may still hold channel functions
-- whose SQL-standard bodies call it. Those are files of db/functions/, loaded again from their
-- current text right after the migrations in the same transaction, so CASCADE drops only them;
-- anything else that depends on it (a view, an index expression) stops the migration here.
do $$
declare
    v_fn regprocedure := to_regprocedure('channels.xml_text(text)');
    v_other text;
begin
    if v_fn is null then
        return;
    end if;
    select string_agg(pg_describe_object(d.classid, d.objid, d.objsubid), ', ')
      into v_other
      from pg_depend d
     where d.refclassid = 'pg_proc'::regclass
       and d.refobjid = v_fn
       and d.classid <> 'pg_proc'::regclass;
    if v_other is not null then
        raise exception 'channels.xml_text cannot be dropped: % depend on it', v_other using errcode = '2BP01';
    end if;
    drop function channels.xml_text(text) cascade;
end $$;
