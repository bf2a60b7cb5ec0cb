/*
 * analytics.normal_quantile(p_probability): the standard normal quantile z with P(Z <= z) = p,
 * e.g. 0.95 -> 1.6448536 (the service-level factor of the safety stock). Source: Wichura, M. J.
 * (1988), "Algorithm AS 241: The Percentage Points of the Normal Distribution", Applied
 * Statistics 37(3), 477-484 (PPND16, relative error about 1e-16; the same algorithm as Python's
 * statistics.NormalDist.inv_cdf). Raises 22023 for p outside (0, 1); null for null.
 */
create or replace function analytics.normal_quantile(p_probability double precision)
returns double precision
language plpgsql
immutable
strict
parallel safe
set search_path = pg_catalog
as $$
declare
    q double precision := p_probability - 0.5;
    r double precision;
    x double precision;
begin
    if not (p_probability > 0 and p_probability < 1) then
        raise exception 'analytics.normal_quantile: probability must be between 0 and 1 (exclusive), got %', p_probability
            using errcode = '22023';
    end if;
    if abs(q) <= 0.425 then
        r := 0.180625 - q * q;
        return q * (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r
                        + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r
                        + 133.14166789178437745) * r + 3.387132872796366608)
                 / (((((((5226.495278852545561 * r + 28729.085735721942674) * r + 39307.89580009271061) * r
                        + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r
                        + 42.313330701600911252) * r + 1.0);
    end if;
    r := sqrt(-ln(case when q < 0 then p_probability else 1 - p_probability end));
    if r <= 5 then
        r := r - 1.6;
        x := (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r
                 + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r
                 + 4.6303378461565452959) * r + 1.42343711074968357734)
           / (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r
                 + 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r
                 + 2.05319162663775882187) * r + 1.0);
    else
        r := r - 5;
        x := (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r
                 + 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r
                 + 5.4637849111641143699) * r + 6.6579046435011037772)
           / (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r
                 + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
                 + 0.59983220655588793769) * r + 1.0);
    end if;
    return case when q < 0 then -x else x end;
end
$$;

comment on function analytics.normal_quantile(double precision) is
    'Standard normal quantile z = Phi^-1(p), e.g. 0.95 -> 1.6449 (Wichura 1988, Algorithm AS 241 PPND16); raises 22023 unless 0 < p < 1';
