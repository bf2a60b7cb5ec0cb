-- Field-level warnings next to bad lines (issue 11 item 2): a value that is not a GUID in a GUID
-- field (customerGuid, items[].productGuid, supplier.guid, ...) never costs its row; the row is
-- stored with that field null and the line gets a warning in ingest.snapshot_failures. Only
-- errors (lines not imported) make a job completed_with_errors and stop the deletion inference
-- of a full snapshot; warnings do not.
--
-- A line may now have several rows (one per field with a warning): the key gains `field`
-- ('' for an error of the whole line).

alter table ingest.snapshot_failures
    add column severity text not null default 'error',
    add column field text not null default '',
    add constraint snapshot_failures_severity_known check (severity in ('error', 'warning'));

alter table ingest.snapshot_failures drop constraint snapshot_failures_pkey;
alter table ingest.snapshot_failures add primary key (shop_id, job_id, line_no, field);

comment on table ingest.snapshot_failures is
    'Dead letter and warnings of snapshot files: errors are lines not imported (malformed JSON, wrong shape, unknown value, an entity key that is not a GUID); warnings are lines imported with one field left out (e.g. a GUID field that is not a GUID, an e-mail held by another customer)';
comment on column ingest.snapshot_failures.severity is
    'error: the line was not imported; warning: the line was imported, the named field was not (stored as null)';
comment on column ingest.snapshot_failures.field is
    'The field a warning is about (customerGuid, items[2].productGuid, email, ...); '''' for an error of the whole line';
comment on column ingest.snapshot_failures.error is 'What is wrong, naming the field and the value';
comment on column ingest.snapshot_failures.raw_line is 'The line as received, cut to 4000 characters (errors only)';

alter table ingest.snapshot_jobs add column warning_count bigint not null default 0;

comment on column ingest.snapshot_jobs.failed_count is 'Lines that went to ingest.snapshot_failures as errors (not imported)';
comment on column ingest.snapshot_jobs.warning_count is
    'Field-level warnings of imported lines (ingest.snapshot_failures with severity warning; at most the first 10,000 of a job are kept there)';
