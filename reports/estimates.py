"""The estimates an evaluation plan asks for: pure functions, outcome frame and plan in, `Estimate` out.

One entry point per design, each taking the outcome frame (columns as in reports.analysis:
measure_code, unit, polarity, period_start, period_end, group, value, numerator, denominator), the
plan's windows and groups (`AnalysisPlan`), the measure and the plan's expected direction:

    pre_post, difference_in_differences, interrupted_time_series, process_control, randomised_trial

(`DESIGNS` maps the plan's design codes to them) and `time_to_event` for child-level rows with a
start and an event date. Each returns a frozen `Estimate`: the estimate and its 95% interval in the
measure's own scale (percentage points, per 10,000, per period, days), the method in words, the
numbers a chart needs, diagnostics, limitations in plain English, and a conclusion that is one of
CONCLUSIONS. None of them raises on bad or thin data: they say "not estimable" and why.

The formulas, and the library each is checked against in tests/reports/test_estimates.py, are the
ones in the methods reference: Newcombe's hybrid score interval for two proportions; the MOVER
interval built on score intervals for two Poisson rates (method "mover" of statsmodels'
confint_poisson_2indep); Welch's t for means of period values; OLS with Newey-West errors for
difference-in-differences and interrupted time series; Anhøj's runs rules for process control;
Kaplan-Meier, log-rank and Greenwood's variance for time to event.

Choices that are ours, to be stated in a report's methods annex:
- A window holds the periods that lie wholly inside it; periods in neither window are left out.
- Days (and any measure given without numerators and denominators) are compared as period values:
  each period's value is one observation, unweighted, and Welch's t allows for unequal variances.
  This uses the variation between periods, which includes the variation between children.
- Counts without a denominator are compared as Poisson counts per period.
- Regressions are on period-level values, every period weighted equally (OLS, not WLS).
- Newey-West (HAC) errors with the lag rule L = floor(4 (T/100)^(2/9)), T the number of periods in
  the model (Newey and West 1994), the Bartlett kernel, the small-sample factor n / (n - k), and t
  intervals on the residual degrees of freedom. With two groups the scores of each period are
  summed before the kernel is applied (Driscoll and Kraay 1998, statsmodels "hac-groupsum"), so
  that a shock common to both groups in one period is not counted as independent evidence; with one
  series this is exactly the usual Newey-West estimator.
- The interval uses the larger of the Newey-West and the classical standard error. With few periods
  the Newey-West estimate is biased downwards when the periods are in fact independent: on simulated
  panels of 24 months with no true change it called 8.5% of them a clear change instead of 5%.
  PINE never reports an interval narrower than one that assumes independent periods. Both errors
  are in the diagnostics.
- Pre-trend check: with two aggregate series a regression with one coefficient per period and
  group is saturated (no residual degrees of freedom), so the joint test of the event-study
  coefficients cannot be made. The check is a Wald test of a differential linear trend across the
  baseline (intervention minus comparison regressed on time, HAC errors). The event-study
  coefficients are still given, for the chart, without intervals.
- Process control: XmR for counts and days (no Poisson assumption), p-chart for percentages,
  u-chart for rates; centre line and limits from the baseline; signals are Anhøj's two runs rules
  and points beyond the limits, read on the periods after the baseline.
- The smallest detectable effect: 80% power, two-sided 5%, exact normal quantiles
  (1.959964 + 0.841621).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from statistics import NormalDist

import numpy as np
import pandas as pd
import statsmodels.api as sm
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test
from lifelines.utils import median_survival_times
from scipy import stats
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.stats.stattools import durbin_watson

from reports.analysis import RATE_SCALE, wilson_interval

CONCLUSIONS = ("improved", "worsened", "no clear change", "not estimable")
DIRECTIONS = ("increase", "decrease", "no_change")
VARIATIONS = ("common cause", "special cause improving", "special cause concerning")

Z_95 = NormalDist().inv_cdf(0.975)  # 1.959964
Z_POWER_80 = NormalDist().inv_cdf(0.80)  # 0.841621

SCALE_LABELS = {
    "percentage": "percentage points",
    "rate_10k": "per 10,000 children",
    "count": "per period",
    "days": "days",
}
_FEW_PERIODS = 8  # fewer than this many periods in a segment is stated as a limitation


@dataclass(frozen=True)
class AnalysisPlan:
    """What a signed-off plan fixes for every measure: when the intervention started, the windows
    (a period counts in a window when it lies wholly inside it) and the groups compared."""

    intervention_start: date
    baseline_start: date
    baseline_end: date
    follow_up_start: date
    follow_up_end: date
    intervention_group: str = "intervention"
    comparison_group: str = "comparison"


@dataclass(frozen=True)
class Estimate:
    """One measure's result under one design. Numbers are floats or None (never NaN), in the
    measure's scale (`scale`); `chart` and `diagnostics` hold plain lists, dicts, strings and
    numbers (dates as ISO strings), so the whole result can go into the results JSON as it is."""

    design: str
    measure_code: str
    method: str
    conclusion: str
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    scale: str = ""
    reason: str = ""  # why it is not estimable
    relative_change: float | None = None  # the estimate over the level it is compared with
    smallest_detectable: float | None = None
    smallest_detectable_basis: str = ""
    chart: dict = field(default_factory=dict)
    diagnostics: dict = field(default_factory=dict)
    limitations: tuple[str, ...] = ()


# --- Conclusions -------------------------------------------------------------------------------


def conclude(estimate, ci_low, ci_high, *, polarity: str, planned_direction: str | None = None) -> str:
    """ "improved" or "worsened" only when the 95% interval excludes zero; "improved" only when the
    change is better by the measure's polarity and, if the plan expected a direction, in that
    direction; otherwise "no clear change". "not estimable" without finite numbers or a polarity."""
    numbers = (estimate, ci_low, ci_high)
    if any(x is None or not math.isfinite(x) for x in numbers) or polarity not in ("higher", "lower"):
        return "not estimable"
    if ci_low <= 0 <= ci_high:
        return "no clear change"
    went_up = ci_low > 0
    better = went_up if polarity == "higher" else not went_up
    if not better:
        return "worsened"
    if planned_direction in (None, ""):
        return "improved"
    return "improved" if planned_direction == ("increase" if went_up else "decrease") else "no clear change"


def _unplanned_note(estimate, ci_low, ci_high, polarity, planned_direction) -> list[str]:
    """The limitation that explains a clear change called "no clear change" against the plan."""
    result = conclude(estimate, ci_low, ci_high, polarity=polarity, planned_direction=planned_direction)
    if result == "no clear change" and ci_low is not None and not (ci_low <= 0 <= ci_high):
        expected = {"increase": "an increase", "decrease": "a decrease", "no_change": "no change"}.get(
            planned_direction, planned_direction
        )
        return [
            f"The 95% interval excludes zero, but the plan expected {expected}; the change is not in the "
            "planned direction, so it is not reported as an improvement."
        ]
    return []


# --- Intervals for two windows or two groups ---------------------------------------------------


def newcombe_difference(x1: float, n1: float, x2: float, n2: float, *, z: float = Z_95) -> tuple[float, float, float]:
    """p1 - p2 with Newcombe's hybrid score interval (Newcombe 1998, Stat Med 17:873, method 10):
    L = d - sqrt((p1 - l1)^2 + (u2 - p2)^2), U = d + sqrt((u1 - p1)^2 + (p2 - l2)^2), where
    (l, u) are the Wilson score intervals of each proportion. Fractions, not percentages."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, z=z)
    l2, u2 = wilson_interval(x2, n2, z=z)
    d = p1 - p2
    return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def poisson_score_interval(count: float, exposure: float, *, z: float = Z_95) -> tuple[float, float]:
    """Score interval for a Poisson rate: ((x + z^2/2) -/+ z sqrt(x + z^2/4)) / exposure."""
    centre = count + z * z / 2
    half = z * math.sqrt(count + z * z / 4)
    return (centre - half) / exposure, (centre + half) / exposure


def poisson_rate_difference(x1: float, e1: float, x2: float, e2: float, *, z: float = Z_95) -> tuple[float, float, float]:
    """r1 - r2 (events per unit of exposure) with the MOVER interval on score intervals of each
    rate (Li, Tang and Wong 2011): the Poisson analogue of Newcombe's interval, and statsmodels'
    confint_poisson_2indep(..., compare="diff", method="mover")."""
    r1, r2 = x1 / e1, x2 / e2
    l1, u1 = poisson_score_interval(x1, e1, z=z)
    l2, u2 = poisson_score_interval(x2, e2, z=z)
    d = r1 - r2
    return d, d - math.sqrt((r1 - l1) ** 2 + (u2 - r2) ** 2), d + math.sqrt((u1 - r1) ** 2 + (r2 - l2) ** 2)


def welch_difference(a, b, *, level: float = 0.95) -> tuple[float, float, float, float]:
    """mean(a) - mean(b) with Welch's t interval; returns (difference, low, high, degrees of freedom)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    d = float(a.mean() - b.mean())
    half = stats.t.ppf(0.5 + level / 2, df) * se
    return d, d - half, d + half, float(df)


def newey_west_lags(periods: int) -> int:
    """L = floor(4 (T/100)^(2/9)) (Newey and West 1994), at most T - 1 and at least 0."""
    if periods < 2:
        return 0
    return max(0, min(periods - 1, math.floor(4 * (periods / 100) ** (2 / 9))))


def smallest_detectable_proportions(p: float, n1: float, n2: float) -> float:
    """(z_0.975 + z_0.80) sqrt(p (1 - p) (1/n1 + 1/n2)), as a fraction."""
    return (Z_95 + Z_POWER_80) * math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))


# --- Reading the frame -------------------------------------------------------------------------


class _NotEstimable(Exception):
    """Raised inside this module only, caught by each entry point and returned as "not estimable"."""


def _measure(frame: pd.DataFrame, measure_code: str) -> tuple[pd.DataFrame, str, str]:
    needed = {"measure_code", "unit", "polarity", "period_start", "period_end", "group", "value"}
    if frame is None or not needed <= set(frame.columns):
        raise _NotEstimable("the outcome data lack the columns the analysis reads")
    rows = frame[frame["measure_code"] == measure_code].copy()
    if rows.empty:
        raise _NotEstimable("there are no values for this measure")
    unit, polarity = str(rows["unit"].iloc[0]), str(rows["polarity"].iloc[0])
    rows["period_start"] = pd.to_datetime(rows["period_start"], errors="coerce")
    rows["period_end"] = pd.to_datetime(rows["period_end"], errors="coerce")
    rows = rows[rows["period_start"].notna() & rows["period_end"].notna()]
    for column in ("value", "numerator", "denominator"):
        if column not in rows:
            rows[column] = np.nan
        elif pd.api.types.is_numeric_dtype(rows[column]):  # the usual case: no parsing needed
            rows[column] = rows[column].to_numpy(dtype="float64", na_value=np.nan)
        else:
            rows[column] = pd.to_numeric(rows[column].astype("object"), errors="coerce").astype("float64")
    rows.loc[~np.isfinite(rows["value"]), "value"] = np.nan
    if unit in RATE_SCALE:  # a rate whose value is missing but whose parts are given
        rebuilt = rows["numerator"] / rows["denominator"].where(rows["denominator"] > 0) * RATE_SCALE[unit]
        rows["value"] = rows["value"].fillna(rebuilt)
    if rows.duplicated(["group", "period_start"]).any():
        raise _NotEstimable("a group has more than one value for the same period")
    return rows.sort_values(["group", "period_start"]), unit, polarity


def _window(rows: pd.DataFrame, start, end) -> pd.DataFrame:
    return rows[(rows["period_start"] >= pd.Timestamp(start)) & (rows["period_end"] <= pd.Timestamp(end))]


def _check_plan(plan: AnalysisPlan) -> None:
    dates = (plan.intervention_start, plan.baseline_start, plan.baseline_end, plan.follow_up_start, plan.follow_up_end)
    if any(d is None or pd.isna(d) for d in dates):
        raise _NotEstimable("the plan lacks its intervention start or its windows")
    if not (pd.Timestamp(plan.baseline_start) <= pd.Timestamp(plan.baseline_end) < pd.Timestamp(plan.follow_up_start)):
        raise _NotEstimable("the plan's baseline window does not end before its follow-up window starts")
    if pd.Timestamp(plan.follow_up_start) > pd.Timestamp(plan.follow_up_end):
        raise _NotEstimable("the plan's follow-up window ends before it starts")


def _group(rows: pd.DataFrame, group: str, *, fallback_to_all: bool = False) -> tuple[pd.DataFrame, list[str]]:
    chosen = rows[rows["group"] == group]
    if chosen.empty and fallback_to_all and group != "all" and (rows["group"] == "all").any():
        note = f'There are no values for the group "{group}", so the series for all children is used.'
        return rows[rows["group"] == "all"], [note]
    if chosen.empty:
        raise _NotEstimable(f'there are no values for the group "{group}"')
    return chosen, []


def _iso(ts) -> str | None:
    return None if ts is None or pd.isna(ts) else pd.Timestamp(ts).date().isoformat()


def _num(x) -> float | None:
    """A plain float for the result, or None for anything missing or not finite."""
    if x is None:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _points(rows: pd.DataFrame, plan: AnalysisPlan | None = None) -> list[dict]:
    rows = rows.sort_values("period_start")
    starts, ends = rows["period_start"].tolist(), rows["period_end"].tolist()
    points = []
    for start, end, value in zip(starts, ends, rows["value"].tolist()):
        point = {"period_start": _iso(start), "period_end": _iso(end), "value": _num(value)}
        if plan is not None:
            point["window"] = _window_name(start, end, plan)
        points.append(point)
    return points


def _window_name(start, end, plan: AnalysisPlan) -> str | None:
    if start >= pd.Timestamp(plan.baseline_start) and end <= pd.Timestamp(plan.baseline_end):
        return "baseline"
    if start >= pd.Timestamp(plan.follow_up_start) and end <= pd.Timestamp(plan.follow_up_end):
        return "follow_up"
    return None


def _missing_note(rows: pd.DataFrame) -> list[str]:
    missing = int(rows["value"].isna().sum())
    if missing:
        return [f"{missing} period value{'s are' if missing != 1 else ' is'} missing in the windows and left out."]
    return []


def _relative(estimate, reference) -> float | None:
    if estimate is None or reference is None or not math.isfinite(reference) or reference == 0:
        return None
    return _num(estimate / abs(reference))


def _not_estimable(design: str, measure_code: str, method: str, reason: str, **extra) -> Estimate:
    return Estimate(design=design, measure_code=measure_code, method=method, conclusion="not estimable", reason=reason, **extra)


def _finish(
    design, measure_code, method, unit, polarity, planned_direction, est, low, high, *, limitations=(), **extra
) -> Estimate:
    est, low, high = _num(est), _num(low), _num(high)
    if est is None or low is None or high is None:
        return _not_estimable(
            design,
            measure_code,
            method,
            "the data do not give a finite estimate and interval",
            scale=SCALE_LABELS.get(unit, ""),
            limitations=tuple(limitations),
            **extra,
        )
    conclusion = conclude(est, low, high, polarity=polarity, planned_direction=planned_direction)
    reason = "the measure has no polarity, so a change cannot be called better or worse" if conclusion == "not estimable" else ""
    notes = list(limitations) + _unplanned_note(est, low, high, polarity, planned_direction)
    return Estimate(
        design=design,
        measure_code=measure_code,
        method=method,
        conclusion=conclusion,
        estimate=est,
        ci_low=low,
        ci_high=high,
        scale=SCALE_LABELS.get(unit, ""),
        reason=reason,
        limitations=tuple(notes),
        **extra,
    )


# --- Two windows or two groups: pre/post and the randomised trial ------------------------------


@dataclass(frozen=True)
class _Comparison:
    estimate: float
    low: float
    high: float
    method: str
    level_a: float
    level_b: float
    smallest_detectable: float | None
    basis: str
    diagnostics: dict
    limitations: tuple[str, ...]


def _compare(a: pd.DataFrame, b: pd.DataFrame, unit: str, labels: tuple[str, str]) -> _Comparison:
    """Level of `a` minus level of `b` with a 95% interval, in the unit's scale, by the unit's rule."""
    notes = _missing_note(a) + _missing_note(b)
    if unit in RATE_SCALE:
        pa, pb = a.dropna(subset=["numerator", "denominator"]), b.dropna(subset=["numerator", "denominator"])
        dropped = len(a) + len(b) - len(pa) - len(pb)
        if len(pa) and len(pb):
            if dropped:
                notes.append(
                    f"{dropped} period{'s' if dropped != 1 else ''} without a numerator and denominator "
                    "left out of the pooled rates."
                )
            return _compare_pooled(pa, pb, unit, labels, notes)
        notes.append("Numerators and denominators are not given, so the period values are compared as numbers.")
    if unit == "count":
        return _compare_counts(a.dropna(subset=["value"]), b.dropna(subset=["value"]), labels, notes)
    return _compare_means(a.dropna(subset=["value"]), b.dropna(subset=["value"]), labels, notes)


def _compare_pooled(a, b, unit, labels, notes) -> _Comparison:
    scale = RATE_SCALE[unit]
    xa, na, xb, nb = a["numerator"].sum(), a["denominator"].sum(), b["numerator"].sum(), b["denominator"].sum()
    if na <= 0 or nb <= 0:
        raise _NotEstimable(f"the {labels[0] if na <= 0 else labels[1]} has no children in its denominators (0/0)")
    if (a["numerator"] < 0).any() or (b["numerator"] < 0).any() or (a["denominator"] < 0).any() or (b["denominator"] < 0).any():
        raise _NotEstimable("a numerator or denominator is negative")
    diagnostics = {"numerators": [float(xa), float(xb)], "denominators": [float(na), float(nb)], "windows": list(labels)}
    if unit == "percentage":
        if xa > na or xb > nb:
            raise _NotEstimable("a numerator is larger than its denominator")
        d, low, high = newcombe_difference(xa, na, xb, nb)
        p = (xa + xb) / (na + nb)
        mde = smallest_detectable_proportions(p, na, nb) * scale
        method = "Difference of pooled proportions with Newcombe's hybrid score 95% interval"
        basis = "two proportions at the pooled proportion, 80% power, two-sided 5%"
    else:
        d, low, high = poisson_rate_difference(xa, na, xb, nb)
        rate = (xa + xb) / (na + nb)
        mde = (Z_95 + Z_POWER_80) * math.sqrt(rate / na + rate / nb) * scale
        method = "Difference of pooled rates with a Poisson 95% interval (MOVER on score intervals)"
        basis = "two Poisson rates at the pooled rate, 80% power, two-sided 5%"
    return _Comparison(
        d * scale, low * scale, high * scale, method, xa / na * scale, xb / nb * scale, mde, basis, diagnostics, tuple(notes)
    )


def _compare_counts(a, b, labels, notes) -> _Comparison:
    if a.empty or b.empty:
        raise _NotEstimable(f"the {labels[0] if a.empty else labels[1]} has no values")
    if (a["value"] < 0).any() or (b["value"] < 0).any():
        raise _NotEstimable("a count is negative")
    xa, xb, ea, eb = a["value"].sum(), b["value"].sum(), len(a), len(b)
    d, low, high = poisson_rate_difference(xa, ea, xb, eb)
    rate = (xa + xb) / (ea + eb)
    mde = (Z_95 + Z_POWER_80) * math.sqrt(rate / ea + rate / eb)
    notes = list(notes) + [
        "Counts are compared as Poisson counts per period; if they vary between periods more than that, "
        "the interval is too narrow."
    ]
    return _Comparison(
        d,
        low,
        high,
        "Difference of mean counts per period with a Poisson 95% interval (MOVER on score intervals)",
        xa / ea,
        xb / eb,
        mde,
        "two Poisson counts per period at the pooled mean, 80% power, two-sided 5%",
        {"totals": [float(xa), float(xb)], "periods": [ea, eb], "windows": list(labels)},
        tuple(notes),
    )


def _compare_means(a, b, labels, notes) -> _Comparison:
    if len(a) < 2 or len(b) < 2:
        raise _NotEstimable(f"the {labels[0] if len(a) < 2 else labels[1]} has fewer than two period values")
    va, vb = a["value"].var(ddof=1), b["value"].var(ddof=1)
    if va + vb <= 0:
        raise _NotEstimable("the period values do not vary, so their uncertainty cannot be estimated")
    d, low, high, df = welch_difference(a["value"], b["value"])
    mde = (Z_95 + Z_POWER_80) * math.sqrt(va / len(a) + vb / len(b))
    return _Comparison(
        d,
        low,
        high,
        "Difference of mean period values with Welch's t 95% interval (each period one observation, unweighted)",
        float(a["value"].mean()),
        float(b["value"].mean()),
        mde,
        "the variance of the period values in each window, 80% power, two-sided 5%",
        {"periods": [len(a), len(b)], "welch_df": df, "windows": list(labels)},
        tuple(notes),
    )


def pre_post(frame: pd.DataFrame, plan: AnalysisPlan, *, measure_code: str, planned_direction: str | None = None) -> Estimate:
    """Follow-up minus baseline for the intervention group (or all children when it has no rows),
    pooled over each window: proportions by Newcombe, rates and counts by Poisson, days by Welch."""
    design, method = "pre_post", "Before and after"
    try:
        _check_plan(plan)
        rows, unit, polarity = _measure(frame, measure_code)
        series, notes = _group(rows, plan.intervention_group, fallback_to_all=True)
        before = _window(series, plan.baseline_start, plan.baseline_end)
        after = _window(series, plan.follow_up_start, plan.follow_up_end)
        if before.empty or after.empty:
            raise _NotEstimable(f"there are no values in the {'baseline' if before.empty else 'follow-up'} window")
        result = _compare(after, before, unit, ("follow-up window", "baseline window"))
    except _NotEstimable as reason:
        return _not_estimable(design, measure_code, method, str(reason))
    notes += list(result.limitations) + [
        "A before-and-after comparison has no comparison group: anything else that changed between the windows "
        "is mixed into the estimate."
    ]
    chart = {
        "points": _points(pd.concat([before, after]), plan),
        "baseline_level": _num(result.level_b),
        "follow_up_level": _num(result.level_a),
        "intervention_start": _iso(pd.Timestamp(plan.intervention_start)),
    }
    return _finish(
        design,
        measure_code,
        result.method,
        unit,
        polarity,
        planned_direction,
        result.estimate,
        result.low,
        result.high,
        limitations=notes,
        relative_change=_relative(result.estimate, result.level_b),
        smallest_detectable=_num(result.smallest_detectable),
        smallest_detectable_basis=result.basis,
        chart=chart,
        diagnostics=result.diagnostics,
    )


def randomised_trial(
    frame: pd.DataFrame, plan: AnalysisPlan, *, measure_code: str, planned_direction: str | None = None
) -> Estimate:
    """Intervention minus comparison over the follow-up window, with the same intervals as pre_post."""
    design, method = "rct", "Difference at follow-up"
    try:
        _check_plan(plan)
        rows, unit, polarity = _measure(frame, measure_code)
        treated, _ = _group(rows, plan.intervention_group)
        control, _ = _group(rows, plan.comparison_group)
        a = _window(treated, plan.follow_up_start, plan.follow_up_end)
        b = _window(control, plan.follow_up_start, plan.follow_up_end)
        if a.empty or b.empty:
            raise _NotEstimable(f"the {'intervention' if a.empty else 'comparison'} group has no values in the follow-up window")
        result = _compare(a, b, unit, ("intervention group", "comparison group"))
    except _NotEstimable as reason:
        return _not_estimable(design, measure_code, method, str(reason))
    chart = {
        "intervention": _points(a, plan),
        "comparison": _points(b, plan),
        "intervention_level": _num(result.level_a),
        "comparison_level": _num(result.level_b),
    }
    return _finish(
        design,
        measure_code,
        result.method,
        unit,
        polarity,
        planned_direction,
        result.estimate,
        result.low,
        result.high,
        limitations=result.limitations,
        relative_change=_relative(result.estimate, result.level_b),
        smallest_detectable=_num(result.smallest_detectable),
        smallest_detectable_basis=result.basis,
        chart=chart,
        diagnostics=result.diagnostics,
    )


# --- Regressions on period values: difference-in-differences and interrupted time series --------


@dataclass(frozen=True)
class _Fit:
    names: list[str]
    params: np.ndarray
    cov: np.ndarray  # Newey-West (Driscoll-Kraay with two groups)
    cov_classical: np.ndarray  # from the residual variance, for the smallest detectable effect
    df: int
    lags: int
    resid: np.ndarray
    fitted: np.ndarray

    def contrast(self, weights: dict[str, float]) -> tuple[float, float, float]:
        """(estimate, Newey-West standard error, classical standard error) of sum(weight * coefficient)."""
        c = np.array([weights.get(name, 0.0) for name in self.names])
        estimate = float(c @ self.params)
        se = math.sqrt(max(float(c @ self.cov @ c), 0.0))
        return estimate, se, math.sqrt(max(float(c @ self.cov_classical @ c), 0.0))

    def interval(self, estimate: float, se: float) -> tuple[float, float]:
        half = stats.t.ppf(0.975, self.df) * se
        return estimate - half, estimate + half


def _hac_fit(y: np.ndarray, X: pd.DataFrame, time: np.ndarray) -> _Fit:
    """OLS with Newey-West errors: lag rule on the number of distinct periods, Bartlett kernel, the
    scores of each period summed over groups (hac-groupsum), small-sample factor n / (n - k)."""
    n, k = X.shape
    matrix = X.to_numpy(dtype=float)
    if n - k < 1:
        raise _NotEstimable("there are too few periods for the model's terms")
    if np.linalg.matrix_rank(matrix) < k:
        raise _NotEstimable("the model's terms cannot be told apart with these periods")
    periods = len(np.unique(time))
    lags = newey_west_lags(periods)
    model = sm.OLS(y, matrix)
    classical = model.fit()
    if not classical.ssr > 1e-12 * max(1.0, float(np.sum((y - y.mean()) ** 2))):
        raise _NotEstimable("the values fit the model exactly, so their uncertainty cannot be estimated")
    robust = model.fit(cov_type="hac-groupsum", cov_kwds={"time": time, "maxlags": lags, "use_correction": "hac"})
    cov = np.asarray(robust.cov_params())
    if not (np.all(np.isfinite(cov)) and np.all(np.isfinite(classical.params))):
        raise _NotEstimable("the regression did not give finite estimates")
    return _Fit(
        names=list(X.columns),
        params=np.asarray(classical.params),
        cov=cov,
        cov_classical=np.asarray(classical.cov_params()),
        df=n - k,
        lags=lags,
        resid=np.asarray(classical.resid),
        fitted=np.asarray(classical.fittedvalues),
    )


def _month_number(starts: pd.Series) -> pd.Series:
    return starts.dt.year * 12 + starts.dt.month - 1


def _step(starts: pd.Series) -> int:
    """The period length in months: 1 monthly, 3 quarterly, 12 annual."""
    months = np.unique(_month_number(pd.Series(pd.to_datetime(starts))).to_numpy())
    gaps = np.diff(months)
    return int(gaps[gaps > 0].min()) if (gaps > 0).any() else 1


def _windowed(rows: pd.DataFrame, plan: AnalysisPlan) -> pd.DataFrame:
    """The rows in the baseline or follow-up window, with `post` marking the follow-up."""
    before = _window(rows, plan.baseline_start, plan.baseline_end).assign(post=0)
    after = _window(rows, plan.follow_up_start, plan.follow_up_end).assign(post=1)
    return pd.concat([before, after])


def _residual_checks(resid: np.ndarray) -> tuple[dict, list[str]]:
    """Durbin-Watson and Ljung-Box (lags = min(10, n // 5), at least 1) on residuals in time order."""
    resid = np.asarray(resid, dtype=float)
    if len(resid) < 4 or not np.any(resid):
        return {"durbin_watson": None, "ljung_box_lags": None, "ljung_box_p": None}, []
    lags = max(1, min(10, len(resid) // 5))
    p_value = _num(acorr_ljungbox(resid, lags=[lags])["lb_pvalue"].iloc[0])
    checks = {"durbin_watson": _num(durbin_watson(resid)), "ljung_box_lags": lags, "ljung_box_p": p_value}
    notes = []
    if p_value is not None and p_value < 0.05:
        notes.append(
            f"The residuals are autocorrelated (Ljung-Box p = {p_value:.3f} at {lags} lag{'s' if lags != 1 else ''}). "
            "The Newey-West errors allow for this, but with few periods the interval may still be too narrow."
        )
    return checks, notes


def _pre_trend(series: pd.DataFrame) -> dict:
    """Differential linear trend across the baseline: (intervention - comparison) = a + g t, HAC."""
    base = series[series["post"] == 0]
    if len(base) < 3:
        return {"tested": False, "reason": "fewer than three baseline periods with both groups"}
    X = pd.DataFrame({"const": 1.0, "t": base["t"].astype(float)})
    try:
        fit = _hac_fit(base["difference"].to_numpy(dtype=float), X, base["t"].to_numpy())
    except _NotEstimable as reason:
        return {"tested": False, "reason": str(reason)}
    slope, se, _ = fit.contrast({"t": 1.0})
    low, high = fit.interval(slope, se)
    p_value = float(2 * stats.t.sf(abs(slope / se), fit.df)) if se > 0 else None
    return {
        "tested": p_value is not None,
        "test": "Wald test of a differential linear trend over the baseline (Newey-West errors)",
        "slope_per_period": _num(slope),
        "ci_low": _num(low),
        "ci_high": _num(high),
        "p_value": _num(p_value),
        "periods": len(base),
        "lags": fit.lags,
    }


def difference_in_differences(
    frame: pd.DataFrame, plan: AnalysisPlan, *, measure_code: str, planned_direction: str | None = None
) -> Estimate:
    """(intervention follow-up - baseline) - (comparison follow-up - baseline) on period values:
    OLS y = a + b treated + c post + d treated x post, d the estimate, Newey-West errors; the
    event-study differences against the last baseline period and a pre-trend check."""
    design, method = "did", "Difference-in-differences"
    try:
        _check_plan(plan)
        rows, unit, polarity = _measure(frame, measure_code)
        treated, _ = _group(rows, plan.intervention_group)
        control, _ = _group(rows, plan.comparison_group)
        data = pd.concat([_windowed(treated, plan).assign(treated=1), _windowed(control, plan).assign(treated=0)])
        notes = _missing_note(data)
        data = data[data["value"].notna()]
        for is_treated, label in ((1, "intervention"), (0, "comparison")):
            for post, window in ((0, "baseline"), (1, "follow-up")):
                if not ((data["treated"] == is_treated) & (data["post"] == post)).any():
                    raise _NotEstimable(f"the {label} group has no values in the {window} window")
        origin = data["period_start"].min()
        data["t"] = (
            (_month_number(data["period_start"]) - _month_number(pd.Series([origin])).iloc[0]) // _step(data["period_start"])
        ).astype(int)
        X = pd.DataFrame(
            {"const": 1.0, "treated": data["treated"], "post": data["post"], "treated_post": data["treated"] * data["post"]}
        ).astype(float)
        fit = _hac_fit(data["value"].to_numpy(dtype=float), X, data["t"].to_numpy())
    except _NotEstimable as reason:
        return _not_estimable(design, measure_code, method, str(reason))

    estimate, se_newey_west, se_classical = fit.contrast({"treated_post": 1.0})
    low, high = fit.interval(estimate, max(se_newey_west, se_classical))
    means = data.groupby(["treated", "post"])["value"].mean()
    counterfactual = means[(1, 0)] + means[(0, 1)] - means[(0, 0)]
    wide = data.pivot(index="period_start", columns="treated", values="value").dropna()
    both = data.drop_duplicates("period_start").set_index("period_start").loc[wide.index, ["post", "t"]]
    both["difference"] = wide[1] - wide[0]
    baseline_periods = both[both["post"] == 0]
    events = []
    if len(baseline_periods):
        reference = baseline_periods.index.max()
        at_reference = both.loc[reference, "difference"]
        for start, difference in zip(both.index.tolist(), both["difference"].tolist()):
            events.append(
                {
                    "period_start": _iso(start),
                    "estimate": _num(difference - at_reference),
                    "reference": bool(start == reference),
                }
            )
    pre_trend = _pre_trend(both)
    checks, autocorrelation = _residual_checks(both["difference"] - both.groupby("post")["difference"].transform("mean"))
    notes += autocorrelation
    periods = data["period_start"].nunique()
    n_base = int(data.loc[data["post"] == 0, "period_start"].nunique())
    if pre_trend.get("p_value") is not None and pre_trend["p_value"] < 0.05:
        notes.append(
            f"The groups were already drifting apart before the intervention (pre-trend test p = {pre_trend['p_value']:.3f}), "
            "so the comparison group may not show what would have happened without it."
        )
    elif not pre_trend["tested"]:
        notes.append(f"The pre-trend check could not be made: {pre_trend['reason']}.")
    if n_base < _FEW_PERIODS:
        notes.append(
            f"Only {n_base} baseline period{'s' if n_base != 1 else ''}: too few to check that the groups moved together before."
        )
    if len(wide) != periods:
        notes.append("Some periods have a value for one group only; each period counts once per group that has it.")
    notes.append(
        "The comparison group stands for what would have happened without the intervention; "
        "anything that affected one group only is mixed into the estimate."
    )
    method = (
        f"Difference-in-differences on period values: OLS with Newey-West errors ({fit.lags} lag"
        f"{'s' if fit.lags != 1 else ''} by L = floor(4 (T/100)^(2/9)), T = {periods} periods), 95% t interval "
        "on the larger of the Newey-West and the classical standard error"
    )
    chart = {
        "intervention": _points(treated, plan),
        "comparison": _points(control, plan),
        "window_means": {
            "intervention": {"baseline": _num(means[(1, 0)]), "follow_up": _num(means[(1, 1)])},
            "comparison": {"baseline": _num(means[(0, 0)]), "follow_up": _num(means[(0, 1)])},
        },
        "counterfactual_follow_up": _num(counterfactual),
        "event_study": events,
        "intervention_start": _iso(pd.Timestamp(plan.intervention_start)),
    }
    diagnostics = {
        "periods": periods,
        "baseline_periods": n_base,
        "lags": fit.lags,
        "df": fit.df,
        "se_newey_west": _num(se_newey_west),
        "se_classical": _num(se_classical),
        "pre_trend": pre_trend,
        "residuals_of_the_difference": checks,
    }
    return _finish(
        design,
        measure_code,
        method,
        unit,
        polarity,
        planned_direction,
        estimate,
        low,
        high,
        limitations=notes,
        relative_change=_relative(estimate, counterfactual),
        smallest_detectable=_num((Z_95 + Z_POWER_80) * se_classical),
        smallest_detectable_basis="the residual variance of the fitted model and the periods in each window and group "
        "(classical standard error), 80% power, two-sided 5%",
        chart=chart,
        diagnostics=diagnostics,
    )


def interrupted_time_series(
    frame: pd.DataFrame, plan: AnalysisPlan, *, measure_code: str, planned_direction: str | None = None
) -> Estimate:
    """Segmented regression y = b0 + b1 t + b2 post + b3 (t - t0) post [+ month of year when there
    are at least 24 monthly baseline periods], Newey-West errors; the estimate is the effect at the
    end of follow-up, b2 + b3 (T - t0). With a comparison series every term is interacted with
    treated (controlled ITS) and the estimate is the treated terms' b2 + b3 (T - t0)."""
    design, method = "its", "Interrupted time series"
    try:
        _check_plan(plan)
        rows, unit, polarity = _measure(frame, measure_code)
        treated, notes = _group(rows, plan.intervention_group, fallback_to_all=True)
        series = _windowed(treated, plan).assign(treated=1)
        notes += _missing_note(series)
        series = series[series["value"].notna()]
        control = _windowed(rows[rows["group"] == plan.comparison_group], plan).assign(treated=0)
        control = control[control["value"].notna()]
        counts = series.groupby("post").size()
        if counts.get(0, 0) < 3 or counts.get(1, 0) < 3:
            raise _NotEstimable("an interrupted time series needs at least three periods before and three after the start")
        controlled = control.groupby("post").size().reindex([0, 1], fill_value=0).min() >= 3
        if len(control) and not controlled:
            notes.append("The comparison series has fewer than three periods before or after the start, so it is not used.")
        data = pd.concat([series, control]) if controlled else series
        origin = data["period_start"].min()
        step = _step(data["period_start"])
        data["t"] = ((_month_number(data["period_start"]) - _month_number(pd.Series([origin])).iloc[0]) // step).astype(int)
        start = pd.Timestamp(plan.intervention_start)
        t0 = math.ceil(((start.year - origin.year) * 12 + start.month - origin.month + (start.day - 1) / 31) / step)
        data["post"] = (data["period_start"] >= start).astype(int)
        data["t_post"] = (data["t"] - t0) * data["post"]
        X = pd.DataFrame({"const": 1.0, "t": data["t"], "post": data["post"], "t_post": data["t_post"]}).astype(float)
        if controlled:
            for term in ("const", "t", "post", "t_post"):
                X[f"treated_{term}"] = X[term] * data["treated"]
        seasonal = step == 1 and counts.get(0, 0) >= 24
        if seasonal:
            months = pd.get_dummies(data["period_start"].dt.month, prefix="month", drop_first=True, dtype=float)
            X = pd.concat([X, months], axis=1)
        fit = _hac_fit(data["value"].to_numpy(dtype=float), X, data["t"].to_numpy())
    except _NotEstimable as reason:
        return _not_estimable(design, measure_code, method, str(reason))

    prefix = "treated_" if controlled else ""
    end = int(data.loc[data["treated"] == 1, "t"].max())
    effect_terms = {f"{prefix}post": 1.0, f"{prefix}t_post": float(end - t0)}
    estimate, se_newey_west, se_classical = fit.contrast(effect_terms)
    low, high = fit.interval(estimate, max(se_newey_west, se_classical))
    level, level_se, level_se_classical = fit.contrast({f"{prefix}post": 1.0})
    slope, slope_se, slope_se_classical = fit.contrast({f"{prefix}t_post": 1.0})

    is_treated = (data["treated"] == 1).to_numpy()
    without = X.copy()
    without[[f"{prefix}post", f"{prefix}t_post"]] = 0.0
    counterfactual = without.to_numpy(dtype=float) @ fit.params
    treated_rows = data.assign(fitted=fit.fitted, counterfactual=counterfactual)[is_treated].sort_values("t")
    checks, autocorrelation = _residual_checks(fit.resid[is_treated][np.argsort(data["t"].to_numpy()[is_treated])])
    notes += autocorrelation
    before, after = counts.get(0, 0), counts.get(1, 0)
    if before < _FEW_PERIODS or after < _FEW_PERIODS:
        notes.append(
            f"Only {before} periods before and {after} after the start: with fewer than {_FEW_PERIODS} on either side "
            "the trend lines are uncertain."
        )
    if step == 1 and not seasonal:
        notes.append("Fewer than 24 monthly baseline periods, so seasonality is not modelled.")
    if not controlled:
        notes.append("There is no comparison series: anything else that changed at the start is mixed into the estimate.")
    at_end = float(treated_rows["counterfactual"].iloc[-1])
    method = (
        f"{'Controlled interrupted' if controlled else 'Interrupted'} time series: segmented regression"
        f"{' with month-of-year terms' if seasonal else ''}, effect at the end of follow-up b2 + b3 (T - t0), "
        f"Newey-West errors ({fit.lags} lag{'s' if fit.lags != 1 else ''} by L = floor(4 (T/100)^(2/9))), "
        "95% t interval on the larger of the Newey-West and the classical standard error"
    )
    chart = {
        "points": [
            {
                "period_start": _iso(row.period_start),
                "t": int(row.t),
                "value": _num(row.value),
                "fitted": _num(row.fitted),
                "counterfactual": _num(row.counterfactual) if row.post else None,
            }
            for row in treated_rows.itertuples()
        ],
        "comparison": _points(control) if controlled else [],
        "intervention_start": _iso(start),
        "t0": t0,
    }
    diagnostics = {
        "controlled": bool(controlled),
        "seasonal": bool(seasonal),
        "periods_before": int(before),
        "periods_after": int(after),
        "t0": t0,
        "t_end": end,
        "lags": fit.lags,
        "df": fit.df,
        "level_change": {"estimate": _num(level), "se_newey_west": _num(level_se), "se_classical": _num(level_se_classical)},
        "slope_change": {"estimate": _num(slope), "se_newey_west": _num(slope_se), "se_classical": _num(slope_se_classical)},
        "se_newey_west": _num(se_newey_west),
        "se_classical": _num(se_classical),
        "residuals": checks,
    }
    return _finish(
        "controlled_its" if controlled else design,
        measure_code,
        method,
        unit,
        polarity,
        planned_direction,
        estimate,
        low,
        high,
        limitations=notes,
        relative_change=_relative(estimate, at_end),
        smallest_detectable=_num((Z_95 + Z_POWER_80) * se_classical),
        smallest_detectable_basis="the residual variance of the fitted segmented model (classical standard error of the "
        "effect at the end of follow-up), 80% power, two-sided 5%",
        chart=chart,
        diagnostics=diagnostics,
    )


# --- Statistical process control ---------------------------------------------------------------


def anhoej_rules(values, centre: float) -> dict:
    """Anhøj's runs rules as qicharts2 applies them: points on the centre line are dropped, n useful
    points remain; a shift when the longest run on one side exceeds round(log2(n) + 3); too few
    crossings when the crossings are fewer than the 5% quantile of Binomial(n - 1, 0.5)."""
    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    side = np.sign(x - centre)
    side[np.isclose(x, centre, rtol=1e-12, atol=1e-12)] = 0
    useful = side[side != 0]
    n = len(useful)
    result = {"n_useful": n, "longest_run": 0, "longest_run_max": None, "crossings": 0, "crossings_min": None}
    result |= {"shift": False, "too_few_crossings": False, "run_side": None}
    if n == 0:
        return result
    longest, run, run_side = 1, 1, useful[0]
    for previous, current in zip(useful[:-1], useful[1:]):
        run = run + 1 if current == previous else 1
        if run > longest or (run == longest and current != run_side):
            longest, run_side = run, current
    crossings = int(np.sum(useful[1:] != useful[:-1]))
    result |= {
        "longest_run": longest,
        "longest_run_max": round(math.log2(n) + 3),
        "crossings": crossings,
        "crossings_min": int(stats.binom.ppf(0.05, n - 1, 0.5)),
        "run_side": "above" if run_side > 0 else "below",
    }
    result["shift"] = longest > result["longest_run_max"]
    result["too_few_crossings"] = crossings < result["crossings_min"]
    return result


def process_control(
    frame: pd.DataFrame, plan: AnalysisPlan, *, measure_code: str, planned_direction: str | None = None
) -> Estimate:
    """An XmR, p- or u-chart of the intervention group (all children when it has no rows), centre
    line and limits from the baseline; signals after the baseline by Anhøj's rules and points beyond
    the limits; the variation summarised as in NHS "Making Data Count"."""
    design = "spc"
    try:
        _check_plan(plan)
        rows, unit, polarity = _measure(frame, measure_code)
        series, notes = _group(rows, plan.intervention_group, fallback_to_all=True)
        span = series[
            (series["period_start"] >= pd.Timestamp(plan.baseline_start))
            & (series["period_end"] <= pd.Timestamp(plan.follow_up_end))
        ]
        notes += _missing_note(span)
        span = span[span["value"].notna()].sort_values("period_start")
        baseline = _window(span, plan.baseline_start, plan.baseline_end)
        if len(baseline) < 2:
            raise _NotEstimable("a control chart needs at least two baseline periods")
        chart_type, centre, lower, upper, plotted = _limits(span, baseline, unit)
    except _NotEstimable as reason:
        return _not_estimable(design, measure_code, "Statistical process control", str(reason))

    after = (span["period_start"] > pd.Timestamp(plan.baseline_end)).to_numpy()
    beyond_up = np.greater(plotted, upper, where=np.isfinite(upper), out=np.zeros(len(plotted), bool))
    beyond_down = np.less(plotted, lower, where=np.isfinite(lower), out=np.zeros(len(plotted), bool))
    runs = anhoej_rules(list(plotted[after]), centre)
    stable = anhoej_rules(list(plotted[~after]), centre)
    signals = []  # (position in time, side)
    for i in np.flatnonzero(after & (beyond_up | beyond_down)):
        signals.append((i, "above" if beyond_up[i] else "below"))
    if runs["shift"] or runs["too_few_crossings"]:
        above = int(np.sum(plotted[after] > centre))
        side = runs["run_side"] if runs["shift"] else ("above" if above * 2 >= int(after.sum()) else "below")
        signals.append((int(np.flatnonzero(after)[-1]), side))
    better_side = "above" if polarity == "higher" else "below"
    if not signals:
        variation = "common cause"
    else:
        latest_side = max(signals)[1]
        variation = "special cause improving" if latest_side == better_side else "special cause concerning"
    if stable["shift"] or stable["too_few_crossings"] or (beyond_up | beyond_down)[~after].any():
        notes.append("The baseline itself shows special-cause variation, so its limits are not a stable reference.")
    notes.append(
        "Signals are Anhøj's runs rules (a long run on one side, too few crossings of the centre line) and points "
        "beyond the limits; NHS Making Data Count uses other rules (a run of 7, a trend of 7, 2 of 3 near a limit)."
    )
    estimate = float(np.mean(plotted[after]) - centre) if after.any() else None
    if not after.any():
        conclusion, reason = "not estimable", "there are no periods after the baseline"
    elif polarity not in ("higher", "lower"):
        conclusion, reason = "not estimable", "the measure has no polarity, so a change cannot be called better or worse"
    elif variation == "common cause":
        conclusion, reason = "no clear change", ""
    elif variation == "special cause concerning":
        conclusion, reason = "worsened", ""
    else:
        went_up = better_side == "above"
        planned = planned_direction in (None, "") or planned_direction == ("increase" if went_up else "decrease")
        conclusion, reason = ("improved" if planned else "no clear change"), ""
        if not planned:
            notes.append("The chart shows special-cause variation in the better direction, but not the one the plan expected.")
    names = {"xmr": "XmR (individuals) chart", "p": "p-chart", "u": "u-chart"}
    chart = {
        "chart_type": chart_type,
        "centre": _num(centre),
        "points": [
            {
                "period_start": _iso(start),
                "value": _num(value),
                "lower": _num(lo),
                "upper": _num(hi),
                "baseline": not is_after,
                "beyond_limits": bool(up or down),
            }
            for start, value, lo, hi, is_after, up, down in zip(
                span["period_start"], plotted, lower, upper, after, beyond_up, beyond_down
            )
        ],
        "intervention_start": _iso(pd.Timestamp(plan.intervention_start)),
    }
    return Estimate(
        design=design,
        measure_code=measure_code,
        method=f"{names[chart_type]}, centre line and limits from the {len(baseline)} baseline periods; "
        "Anhøj runs rules and points beyond the limits after the baseline",
        conclusion=conclusion,
        estimate=_num(estimate),  # the mean after the baseline minus the centre line; no interval
        scale=SCALE_LABELS.get(unit, ""),
        reason=reason,
        chart=chart,
        diagnostics={"variation": variation, "runs_after_baseline": runs, "runs_in_baseline": stable},
        limitations=tuple(notes),
    )


def _limits(span: pd.DataFrame, baseline: pd.DataFrame, unit: str):
    """(chart type, centre, lower limits, upper limits, plotted values), by the measure's unit."""
    parts = (
        baseline[["numerator", "denominator"]].notna().all(axis=1).all()
        and span[["numerator", "denominator"]].notna().all(axis=1).all()
    )
    if unit in RATE_SCALE and parts and baseline["denominator"].sum() > 0:
        scale = RATE_SCALE[unit]
        centre = baseline["numerator"].sum() / baseline["denominator"].sum()
        n = span["denominator"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            plotted = np.where(n > 0, span["numerator"].to_numpy(dtype=float) / n, np.nan) * scale
            spread = np.sqrt(centre * (1 - centre) / n) if unit == "percentage" else np.sqrt(centre / n)
        lower, upper = np.maximum(centre - 3 * spread, 0.0), centre + 3 * spread
        if unit == "percentage":
            upper = np.minimum(upper, 1.0)
        lower, upper = np.where(n > 0, lower * scale, np.nan), np.where(n > 0, upper * scale, np.nan)
        return ("p" if unit == "percentage" else "u"), float(centre * scale), lower, upper, plotted
    values = baseline["value"].to_numpy(dtype=float)
    centre = float(values.mean())
    moving_range = float(np.abs(np.diff(values)).mean())
    plotted = span["value"].to_numpy(dtype=float)
    return (
        "xmr",
        centre,
        np.full(len(span), centre - 2.66 * moving_range),
        np.full(len(span), centre + 2.66 * moving_range),
        plotted,
    )


# --- Time to event -----------------------------------------------------------------------------


def greenwood_cumulative_incidence(durations, events, horizon: float) -> tuple[float, float]:
    """Kaplan-Meier 1 - S(horizon) and Greenwood's variance S^2 sum d / (n (n - d)) over event
    times up to the horizon (a term with d = n makes S zero and the variance zero)."""
    durations, events = np.asarray(durations, dtype=float), np.asarray(events, dtype=bool)
    known = ~np.isnan(durations)  # a child with no duration is neither at risk nor an event
    durations, events = durations[known], events[known]
    times, died = np.unique(durations[events & (durations <= horizon)], return_counts=True)
    at_risk = len(durations) - np.searchsorted(np.sort(durations), times, side="left")  # followed to each time
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(at_risk > died, died / (at_risk * (at_risk - died)), 0.0)
    # Multiplied and added in time order, one term at a time, as the formula reads.
    survival = math.prod((1 - died / at_risk).tolist())
    return 1 - survival, survival**2 * sum(terms.tolist())


def time_to_event(
    children: pd.DataFrame,
    *,
    measure_code: str,
    polarity: str,
    planned_direction: str | None = None,
    intervention_group: str = "intervention",
    comparison_group: str = "comparison",
    horizon_days: int = 365,
) -> Estimate:
    """Kaplan-Meier per group from child-level rows (group, start_date, event_date, period_end; no
    event date = censored at the period end), the log-rank test, each group's median time with its
    interval, and as the estimate the difference (intervention - comparison) in the percentage who
    had the event by `horizon_days`, with a 95% interval from Greenwood's variances."""
    design, method = "time_to_event", "Time to event"
    try:
        needed = {"group", "start_date", "event_date", "period_end"}
        if children is None or not needed <= set(children.columns):
            raise _NotEstimable("the child-level rows lack start_date, event_date, period_end or group")
        rows = children.copy()
        for column in ("start_date", "event_date", "period_end"):
            if not pd.api.types.is_datetime64_any_dtype(rows[column]):  # as read from the database, they are
                rows[column] = pd.to_datetime(rows[column], errors="coerce")
        rows["event"] = rows["event_date"].notna()
        rows["days"] = (rows["event_date"].where(rows["event"], rows["period_end"]) - rows["start_date"]).dt.days
        usable = rows["days"].notna() & (rows["days"] >= 0)
        notes = []
        if (~usable).any():
            notes.append(f"{int((~usable).sum())} child rows without a usable start, event or period end date are left out.")
        rows = rows[usable]
        groups = {}
        for label, name in (("intervention", intervention_group), ("comparison", comparison_group)):
            group = rows[rows["group"] == name]
            if group.empty:
                raise _NotEstimable(f'there are no child rows for the group "{name}"')
            groups[label] = group
        horizon = float(horizon_days)
        for label, group in groups.items():
            # The percentage by the horizon is known when someone is followed that long, or when
            # every child still followed at the last time had the event then (the curve ends at 100%).
            last = group["days"].max()
            if last < horizon and not group.loc[group["days"] == last, "event"].all():
                raise _NotEstimable(f"no child in the {label} group is followed for {horizon_days} days")
    except _NotEstimable as reason:
        return _not_estimable(design, measure_code, method, str(reason))

    curves, medians, incidence = {}, {}, {}
    for label, group in groups.items():
        kmf = KaplanMeierFitter().fit(group["days"], group["event"], label=label)
        ci = median_survival_times(kmf.confidence_interval_)
        medians[label] = {
            "median_days": _num(kmf.median_survival_time_),
            "ci_low": _num(ci.iloc[0, 0]),
            "ci_high": _num(ci.iloc[0, 1]),
            "children": len(group),
            "events": int(group["event"].sum()),
            "events_by_horizon": int((group["event"] & (group["days"] <= horizon)).sum()),
        }
        # Each step with its number at risk (just before it) and its events, for safe outputs
        # (reports.disclosure.safe_time_to_event coarsens the curve from these).
        table = kmf.event_table.reindex(kmf.survival_function_.index)
        curves[label] = [
            {
                "days": float(t),
                "survival": _num(sv),
                "ci_low": _num(lo),
                "ci_high": _num(hi),
                "at_risk": int(n),
                "events": int(d),
            }
            for t, sv, lo, hi, n, d in zip(
                kmf.survival_function_.index,
                kmf.survival_function_.iloc[:, 0],
                kmf.confidence_interval_.iloc[:, 0],
                kmf.confidence_interval_.iloc[:, 1],
                table["at_risk"],
                table["observed"],
            )
        ]
        incidence[label] = greenwood_cumulative_incidence(group["days"], group["event"], horizon)
    test = logrank_test(
        groups["intervention"]["days"],
        groups["comparison"]["days"],
        event_observed_A=groups["intervention"]["event"],
        event_observed_B=groups["comparison"]["event"],
    )
    (f1, v1), (f2, v2) = incidence["intervention"], incidence["comparison"]
    estimate = 100 * (f1 - f2)
    half = 100 * Z_95 * math.sqrt(v1 + v2)
    everyone = pd.concat(groups.values())
    pooled, _ = greenwood_cumulative_incidence(everyone["days"], everyone["event"], horizon)
    n1, n2 = len(groups["intervention"]), len(groups["comparison"])
    notes.append(
        "Children are compared as they came: a difference may reflect who was in each group as well as the intervention."
    )
    if v1 + v2 == 0:
        return _not_estimable(
            design,
            measure_code,
            method,
            "every child had the event, or none did, by the horizon: the interval cannot be estimated",
        )
    return _finish(
        design,
        measure_code,
        f"Kaplan-Meier per group; difference in the percentage with the event by {horizon_days} days with a 95% "
        "interval from Greenwood's variances; log-rank test",
        "percentage",
        polarity,
        planned_direction,
        estimate,
        estimate - half,
        estimate + half,
        limitations=notes,
        relative_change=_relative(estimate, 100 * f2),
        smallest_detectable=_num(100 * smallest_detectable_proportions(pooled, n1, n2)),
        smallest_detectable_basis="two proportions at the pooled percentage with the event by the horizon, ignoring "
        "censoring, 80% power, two-sided 5%",
        chart={"curves": curves, "horizon_days": horizon_days},
        diagnostics={"log_rank": {"statistic": _num(test.test_statistic), "p_value": _num(test.p_value)}, "medians": medians},
    )


# The plan's design codes (evaluations.EvaluationPlan.Design) and the function each one calls.
DESIGNS: dict[str, Callable[..., Estimate]] = {
    "pre_post": pre_post,
    "rct": randomised_trial,
    "did": difference_in_differences,
    "its": interrupted_time_series,
    "spc": process_control,
}
