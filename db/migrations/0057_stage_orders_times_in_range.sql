-- Order times the hub can hold: the years 1 to 9999 in UTC (creationTime and changeTime).
--
-- Shoptet writes 4-digit years with an offset, so "0001-01-01T00:00:00+0100" is a moment of
-- the year 1 BC in UTC and "9999-12-31T23:30:00-0100" one of the year 10000: pg_partman names
-- quarters with 4-digit years (order_items_p9999q4), and Python (datetime) reads neither. Such a
-- line is refused at staging, where the importer takes it out as a bad line with its line
-- number (ingest.snapshot_failures) and imports the rest of the chunk.

alter table ingest.stage_orders
    add constraint stage_orders_times_in_years_1_to_9999_utc check (
        created_at >= '0001-01-01 00:00:00+00' and created_at < '10000-01-01 00:00:00+00'
        and changed_at >= '0001-01-01 00:00:00+00' and changed_at < '10000-01-01 00:00:00+00');

comment on constraint stage_orders_times_in_years_1_to_9999_utc on ingest.stage_orders is
    'creationTime and changeTime must lie in the years 1..9999 UTC (pg_partman partition names, Python datetimes)';
