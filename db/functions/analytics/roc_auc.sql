/*
 * analytics.roc_auc(p_scores, p_positive): the area under the ROC curve of a score as a classifier:
 * the probability that a positive, drawn at random, scores higher than a negative drawn at random
 * (ties count one half). 0.5 = no better than chance, 1 = every positive above every negative.
 * Computed set-based with the Mann-Whitney U statistic (Hanley & McNeil 1982):
 *   AUC = (R+ - n+ (n+ + 1) / 2) / (n+ x n-)
 * where R+ is the sum of the ranks (ascending by score, tied scores sharing their mean rank) of the
 * n+ positives and n- the number of negatives. Null when there is no positive or no negative.
 * Raises 22023 when the arrays differ in length, 22004 on a null score or label (naming its
 * position): every prediction counts, none is dropped silently.
 */
create or replace function analytics.roc_auc(p_scores double precision[], p_positive boolean[])
returns double precision
language plpgsql
immutable
parallel safe
set search_path = pg_catalog
as $$
declare
    v_null integer;
    v_auc double precision;
begin
    if coalesce(cardinality(p_scores), 0) <> coalesce(cardinality(p_positive), 0) then
        raise exception 'analytics.roc_auc: % scores but % labels; give one label per score',
            coalesce(cardinality(p_scores), 0), coalesce(cardinality(p_positive), 0)
            using errcode = '22023';
    end if;
    select min(t.n) into v_null
    from unnest(p_scores, p_positive) with ordinality as t (s, l, n)
    where t.s is null or t.l is null;
    if v_null is not null then
        raise exception 'analytics.roc_auc: element % has a null score or label', v_null
            using errcode = '22004';
    end if;
    with ranked as (
        select t.l,
               -- the mean of the ranks a group of tied scores occupies
               rank() over (order by t.s) + (count(*) over (partition by t.s) - 1) / 2.0 as r
        from unnest(p_scores, p_positive) as t (s, l)
    ), sums as (
        select sum(r.r) filter (where r.l) as rank_sum,
               count(*) filter (where r.l)::numeric as pos,
               count(*) filter (where not r.l)::numeric as neg
        from ranked r
    )
    select ((s.rank_sum - s.pos * (s.pos + 1) / 2) / (s.pos * s.neg))::double precision
    into v_auc
    from sums s
    where s.pos > 0 and s.neg > 0;
    return v_auc;
end
$$;

comment on function analytics.roc_auc(double precision[], boolean[]) is
    'ROC AUC of scores (higher = more likely positive) against boolean labels: Mann-Whitney U / (n+ x n-), tied scores at their mean rank; null without positives or negatives; raises 22023 on arrays of different length, 22004 on a null element';
