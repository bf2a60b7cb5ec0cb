"""The BG/NBD buy-till-you-die model (Fader, Hardie & Lee 2005, "Counting your customers the easy
way"), fitted by maximum likelihood on a shop's per-customer summary; scored in SQL
(analytics.bgnbd_score). Used by the backtest (runner/backtest.py) as the model `bgnbd-v1`.

The model: while alive, a customer buys as a Poisson process of rate lambda ~ Gamma(r, alpha);
after each purchase they drop out with probability p ~ Beta(a, b). A customer's summary: x repeat
orders (orders_count - 1), t_x days from the first to the last order, T days from the first order
to the time valued at. The likelihood (their equation 6), per customer:

    L = B(a, b + x) / B(a, b) * Gamma(r + x) alpha^r / (Gamma(r) (alpha + T)^(r + x))
        + [x > 0] B(a + 1, b + x - 1) / B(a, b) * Gamma(r + x) alpha^r / (Gamma(r) (alpha + t_x)^(r + x))

maximised over log r, log alpha, log a, log b with scipy's L-BFGS-B. Days are the unit of alpha.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, gammaln

from runner.errors import HubError

MIN_REPEAT_BUYERS = 30
"""Fewer customers with a repeat order than this: no fit (the dropout process cannot be seen)."""


class FitError(HubError):
    """The model cannot be fitted to these customers (too few repeat buyers, or no optimum found)."""


@dataclass(frozen=True)
class BgNbd:
    """Fitted BG/NBD parameters (alpha in days) and what they were fitted on."""

    r: float
    alpha: float
    a: float
    b: float
    customers: int
    repeat_buyers: int
    log_likelihood: float

    def params(self) -> dict[str, Any]:
        """The JSON analytics.bgnbd_score reads (and analytics.clv_models.params keeps)."""
        return {
            "r": self.r,
            "alpha": self.alpha,
            "a": self.a,
            "b": self.b,
            "unit": "days",
            "customers": self.customers,
            "repeat_buyers": self.repeat_buyers,
            "log_likelihood": self.log_likelihood,
        }


def log_likelihood(params: Sequence[float], x: np.ndarray, t_x: np.ndarray, t: np.ndarray, weight: np.ndarray) -> float:
    """Sum of weight x log L over the customers, for params (r, alpha, a, b)."""
    r, alpha, a, b = params
    common = gammaln(r + x) - gammaln(r) + r * math.log(alpha) + betaln(a, b + x) - betaln(a, b)
    alive = -(r + x) * np.log(alpha + t)
    with np.errstate(divide="ignore", invalid="ignore"):
        dropped = np.where(
            x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x), -np.inf
        )
    return float(np.sum(weight * (common + np.logaddexp(alive, dropped))))


def fit_bgnbd(x: Sequence[int], t_x: Sequence[float], t: Sequence[float], weight: Sequence[int]) -> BgNbd:
    """Maximum-likelihood BG/NBD on summary rows (x, t_x, T in days, weight = customers with
    that summary). Raises FitError with fewer than MIN_REPEAT_BUYERS repeat buyers or when the
    optimiser finds no optimum."""
    xs, txs, ts, ws = (np.asarray(v, dtype=float) for v in (x, t_x, t, weight))
    if not (len(xs) == len(txs) == len(ts) == len(ws)):
        raise FitError("BG/NBD fit: the summary columns differ in length")
    customers = int(ws.sum())
    repeat = int(ws[xs > 0].sum())
    if repeat < MIN_REPEAT_BUYERS:
        raise FitError(f"BG/NBD fit: {repeat} repeat buyers, at least {MIN_REPEAT_BUYERS} are needed")
    if np.any(txs > ts) or np.any(ts <= 0) or np.any(xs < 0):
        raise FitError("BG/NBD fit: a summary row has t_x > T, T <= 0 or x < 0")

    def objective(log_params: np.ndarray) -> float:
        return -log_likelihood(np.exp(log_params), xs, txs, ts, ws) / customers

    start = np.log([1.0, max(1.0, float(np.average(ts, weights=ws))), 1.0, 1.0])
    result = minimize(objective, start, method="L-BFGS-B", bounds=[(-12.0, 12.0)] * 4)
    if not result.success or not np.all(np.isfinite(result.x)):
        raise FitError(f"BG/NBD fit: the optimiser stopped without an optimum ({result.message})")
    r, alpha, a, b = (float(v) for v in np.exp(result.x))
    return BgNbd(r, alpha, a, b, customers, repeat, -float(result.fun) * customers)
