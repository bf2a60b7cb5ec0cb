/*
 * analytics.hyp2f1(a, b, c, z): the Gauss hypergeometric function 2F1(a, b; c; z) for 0 <= z < 1,
 * summed as its power series sum_k (a)_k (b)_k / ((c)_k k!) z^k until a term adds less than 1e-15
 * of the sum. Needed by the BG/NBD expected number of orders (analytics.bgnbd_score). Raises 22003
 * for z outside [0, 1) and when 100 000 terms do not converge.
 */
create or replace function analytics.hyp2f1(p_a double precision, p_b double precision, p_c double precision,
                                            p_z double precision)
returns double precision
language plpgsql
immutable
strict
parallel safe
set search_path = pg_catalog
as $$
declare
    v_term double precision := 1;
    v_sum double precision := 1;
    v_k integer := 0;
begin
    if p_z < 0 or p_z >= 1 then
        raise exception 'analytics.hyp2f1: z must be in [0, 1), got %', p_z using errcode = '22003';
    end if;
    loop
        v_term := v_term * (p_a + v_k) * (p_b + v_k) / ((p_c + v_k) * (v_k + 1)) * p_z;
        v_sum := v_sum + v_term;
        v_k := v_k + 1;
        exit when abs(v_term) <= 1e-15 * abs(v_sum);
        if v_k >= 100000 then
            raise exception 'analytics.hyp2f1(%, %, %, %): no convergence in 100000 terms', p_a, p_b, p_c, p_z
                using errcode = '22003';
        end if;
    end loop;
    return v_sum;
end
$$;

comment on function analytics.hyp2f1(double precision, double precision, double precision, double precision) is
    'Gauss hypergeometric 2F1(a, b; c; z) for 0 <= z < 1 by its power series (terms until < 1e-15 of the sum); raises 22003 outside or without convergence';
