"""The BG/NBD model (runner/clv_fit.py, analytics.bgnbd_score): the fit finds the parameters that
made simulated customers, and the SQL scoring equals the published formulas computed in Python."""

from __future__ import annotations

import math

import numpy as np
import psycopg
import pytest
from scipy.special import hyp2f1

from runner.clv_fit import FitError, fit_bgnbd

TRUE = {"r": 0.6, "alpha": 30.0, "a": 1.6, "b": 3.0}


def simulate(n: int, seed: int) -> tuple[list[int], list[float], list[float]]:
    """BG/NBD customers: Poisson buying at rate lambda ~ Gamma(r, 1/alpha) per day, dropping out
    after each order with probability p ~ Beta(a, b); observed for T ~ U(100, 900) days."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(TRUE["r"], 1 / TRUE["alpha"], n)
    p = rng.beta(TRUE["a"], TRUE["b"], n)
    t_end = rng.uniform(100, 900, n)
    now = np.zeros(n)
    x = np.zeros(n, dtype=int)
    t_x = np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        now = now + rng.exponential(1, n) / lam
        active &= now < t_end
        x += active
        t_x = np.where(active, now, t_x)
        active &= rng.random(n) >= p
    return x.tolist(), t_x.tolist(), t_end.tolist()


def test_the_fit_finds_the_parameters_that_made_the_customers() -> None:
    x, t_x, t = simulate(20000, seed=5)
    fit = fit_bgnbd(x, t_x, t, [1] * len(x))
    assert fit.customers == 20000 and fit.repeat_buyers == sum(v > 0 for v in x)
    for name, value in TRUE.items():
        assert getattr(fit, name) == pytest.approx(value, rel=0.25), name


def test_the_fit_needs_repeat_buyers() -> None:
    with pytest.raises(FitError, match="3 repeat buyers, at least 30"):
        fit_bgnbd([0] * 100 + [1] * 3, [0] * 103, [50] * 103, [1] * 103)


def python_score(x: int, t_x: float, t: float, h: int, r: float, alpha: float, a: float, b: float) -> tuple:
    dropped_odds = a / (b + x - 1) * ((alpha + t) / (alpha + t_x)) ** (r + x) if x > 0 else 0.0
    alive = 1 / (1 + dropped_odds)
    stay = ((alpha + t) / (alpha + t + h)) ** (r + x)
    expected = (a + b + x - 1) / (a - 1) * (1 - stay * hyp2f1(r + x, b + x, a + b + x - 1, h / (alpha + t + h))) * alive
    return alive, 1 - alive + alive * stay, expected


@pytest.mark.parametrize(
    "x,t_x,t", [(0, 0.0, 1.0), (0, 0.0, 400.0), (1, 30.0, 300.0), (5, 200.0, 210.0), (12, 100.0, 800.0), (40, 700, 710)]
)
def test_sql_scoring_equals_the_formulas(admin: psycopg.Connection, x: int, t_x: float, t: float) -> None:
    params = {"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.43}  # the CDNOW fit of the paper (alpha in weeks there)
    got = admin.execute(
        "select p_alive, p_no_order, expected_orders from analytics.bgnbd_score(%s::jsonb, %s, %s, %s, 90)",
        [psycopg.types.json.Jsonb(params), x, t_x, t],
    ).fetchone()
    want = python_score(x, t_x, t, 90, **params)
    assert got == pytest.approx(want, rel=1e-9)
    assert 0 <= got[0] <= 1 and 0 <= got[1] <= 1 and got[2] >= 0


def test_sql_scoring_refuses_incomplete_parameters(admin: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="positive r, alpha, a and b"):
        admin.execute('select * from analytics.bgnbd_score(\'{"r": 1, "alpha": 2, "a": 0}\', 1, 1, 2, 90)')
    assert math.isclose(admin.execute("select analytics.hyp2f1(1, 1, 2, 0.5)").fetchone()[0], 2 * math.log(2))
