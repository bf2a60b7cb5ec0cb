-- Feeds stream (issue 17 speed): channels.feed_items and the channel functions become SQL-standard
-- bodies that the planner inlines into the runner's query, so rows are produced as they are read
-- instead of being materialised twice and sorted. feed_items' columns change (price_text added;
-- the marketplace flags are applied inside it, so heureka_excluded / zbozi_hidden go): the old
-- function is dropped here and db/functions/channels/ creates the new one. The channel functions
-- keep their columns (create or replace suffices); they are dropped too so that no old body that
-- reads the dropped columns is left should a load stop half-way.

drop function if exists channels.heureka_availability_items(bigint, timestamptz);
drop function if exists channels.heureka_items(bigint, date);
drop function if exists channels.zbozi_items(bigint, date);
drop function if exists channels.google_items(bigint, date);
drop function if exists channels.feed_items(bigint, date);
