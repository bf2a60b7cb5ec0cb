-- role: superuser
-- The channels schema: marketplace feed definitions and their build state (architecture.md
-- "Schemas"). Created by the superuser (like the other schemas in 0001), owned by hub_owner so
-- that the following migrations, run as hub_owner, create its tables with the default privileges.

create schema if not exists channels authorization hub_owner;
comment on schema channels is 'Marketplace product feeds (Heureka, Zbozi.cz, Google Merchant): definitions and build state';
grant usage on schema channels to hub_app, hub_readonly;
