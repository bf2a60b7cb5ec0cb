-- Queries of runner/shoptet/languages.py: the languages a shop's catalogue is read in.

-- name: other_languages
-- a shop's languages besides its default (their product texts are read with ?language=)
select language from catalog.shop_languages
where shop_id = %(shop_id)s and not is_default
order by priority nulls last, language;
