-- role: superuser
-- Search (issue 16): unaccent strips Czech (and other Latin) diacritics for the search keys of
-- core.search_fold; it ships with postgresql-15 (contrib), like pg_trgm made in 0001.
create extension if not exists unaccent with schema public;
