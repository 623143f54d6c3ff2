"""Funnel plots across partners (Spiegelhalter 2005, Statistics in Medicine 24:1185).

Each partner's latest value is plotted against its denominator (children, or the population for a
rate) around the cohort's pooled value, with control limits that narrow as the denominator grows:
binomial limits for proportions, Poisson limits for rates (counts per child of the population).
The limits are the exact distributions' quantiles, interpolated between whole counts as in
Spiegelhalter's appendix, so the funnel is smooth at small denominators where the normal
approximation p0 ± z·√(p0(1−p0)/n) is poor (they agree at large ones; tests check both).

Pure functions: numbers and DataFrames in, DataFrames out."""

import numpy as np
import pandas as pd
from scipy import stats

# Two-sided coverage of each pair of limits: 95% (z = 1.96) and 99.8% (z = 3.09).
LEVELS = {"95": 0.95, "99.8": 0.998}
PROPORTION, RATE = "proportion", "rate"


def _interpolated_quantile(distribution, p: float) -> float:
    """Spiegelhalter's continuous quantile of a discrete distribution: r_p the smallest count with
    F(r_p) >= p, less the share of its step that lies beyond p."""
    r = distribution.ppf(p)
    above, below = distribution.cdf(r), distribution.cdf(r - 1)
    step = above - below
    alpha = 0.0 if step <= 0 else (above - p) / step
    return max(float(r - alpha), 0.0)


def funnel_limits(target: float, size: float, *, kind: str) -> dict[str, tuple[float, float]]:
    """Lower and upper limits at each level for one denominator ``size``, as a proportion (or a rate
    per unit of the denominator) like ``target``."""
    if size <= 0 or not np.isfinite(size):
        raise ValueError("a funnel limit needs a positive denominator")
    if kind == PROPORTION:
        distribution = stats.binom(int(round(size)), target)
    elif kind == RATE:
        distribution = stats.poisson(target * size)
    else:
        raise ValueError(f"unknown kind {kind!r}")
    limits = {}
    for name, level in LEVELS.items():
        tail = (1 - level) / 2
        lower = _interpolated_quantile(distribution, tail) / size
        upper = _interpolated_quantile(distribution, 1 - tail) / size
        limits[name] = (lower, min(upper, 1.0) if kind == PROPORTION else upper)
    return limits


def funnel(points: pd.DataFrame, *, kind: str, curve_points: int = 40) -> tuple[float | None, pd.DataFrame, pd.DataFrame]:
    """The funnel of ``points`` (columns label, numerator, denominator; rows without both, or with
    a denominator of 0, are left out): the pooled target, each point with its ratio and where it
    lies ("within", "above 95%", "above 99.8%", "below 95%", "below 99.8%"), and the limit curves
    over the range of denominators (columns size, lower_95, upper_95, lower_99.8, upper_99.8)."""
    usable = points.dropna(subset=["numerator", "denominator"])
    usable = usable[usable["denominator"].astype(float) > 0].copy()
    if usable.empty:
        return None, usable.assign(ratio=[], position=[]), pd.DataFrame()
    numerator = usable["numerator"].astype(float)
    denominator = usable["denominator"].astype(float)
    target = float(numerator.sum() / denominator.sum())
    usable["ratio"] = numerator / denominator
    usable["position"] = [
        _position(ratio, funnel_limits(target, size, kind=kind)) for ratio, size in zip(usable["ratio"], denominator)
    ]
    low, high = float(denominator.min()), float(denominator.max())
    sizes = np.unique(np.round(np.geomspace(max(low * 0.8, 1.0), high * 1.2, curve_points)))
    rows = []
    for size in sizes:
        limits = funnel_limits(target, size, kind=kind)
        rows.append(
            {
                "size": float(size),
                **{f"{side}_{name}": limits[name][i] for name in LEVELS for i, side in enumerate(("lower", "upper"))},
            }
        )
    return target, usable, pd.DataFrame(rows)


def _position(ratio: float, limits: dict[str, tuple[float, float]]) -> str:
    for name in ("99.8", "95"):
        lower, upper = limits[name]
        if ratio > upper:
            return f"above {name}%"
        if ratio < lower:
            return f"below {name}%"
    return "within"
