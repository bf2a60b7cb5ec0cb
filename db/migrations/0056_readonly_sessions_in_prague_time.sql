-- role: superuser
-- psql sessions of hub_readonly (DBAs, analysts) show times in Prague time by default, where
-- most Shoptet shops are: timestamptz values are stored in UTC and only displayed in the
-- session's zone (`set timezone = 'Europe/Bucharest'` for a Romanian shop). A role setting is
-- cluster-wide and applies to new sessions.

alter role hub_readonly set timezone = 'Europe/Prague';
