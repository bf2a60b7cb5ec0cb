-- The backtest functions take the parameters of models fitted outside SQL (p_fits jsonb, e.g. the
-- BG/NBD fit of runner/clv_fit.py). Their three-argument versions go: a call with three arguments
-- would otherwise match both. On a new database they do not exist yet (function files load after
-- the migrations).
drop function if exists analytics.choose_clv_model(bigint, date, integer);
drop function if exists analytics.backtest(bigint, date, integer);
drop function if exists analytics.backtest_predictions(bigint, date, integer);
