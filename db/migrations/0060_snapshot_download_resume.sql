-- A broken download of a snapshot result file is resumed within the job (issue 11, item 7):
-- the job remembers until when Shoptet serves its result file and how far into the file its
-- committed chunks reach, and counts the downloads it needed.

alter table ingest.snapshot_jobs
    add column result_valid_until timestamptz,
    add column resume_after_line bigint not null default 0,
    add column downloads integer not null default 0;

comment on column ingest.snapshot_jobs.result_valid_until is
    'validUntil of the Shoptet job detail (GET /api/system/jobs/{jobId}; results are kept 24 h): until then '
    'result_url may be downloaded again (a broken download is resumed, a retry reuses it)';
comment on column ingest.snapshot_jobs.resume_after_line is
    'Line number of result_url up to which chunks are applied and committed (with the data); a resumed '
    'download skips lines up to it. 0: nothing applied yet';
comment on column ingest.snapshot_jobs.downloads is
    'Downloads of result_url in the latest attempt: 1, or more when a broken download was resumed';
