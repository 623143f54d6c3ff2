"""The plan's estimates against independent references: statsmodels, scipy and lifelines called
directly on the same fixtures, or hand-worked values; and hypothesis for the edge cases (no database)."""

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test
from scipy import stats
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.stats.proportion import confint_proportions_2indep
from statsmodels.stats.rates import confint_poisson_2indep
from statsmodels.stats.stattools import durbin_watson
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from reports.estimates import (
    CONCLUSIONS,
    DESIGNS,
    AnalysisPlan,
    anhoej_rules,
    conclude,
    difference_in_differences,
    greenwood_cumulative_incidence,
    interrupted_time_series,
    newcombe_difference,
    newey_west_lags,
    poisson_rate_difference,
    pre_post,
    process_control,
    randomised_trial,
    smallest_detectable_proportions,
    time_to_event,
    welch_difference,
)

SETTINGS = settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))

MEASURES = {
    "re-referrals": ("percentage", "lower"),
    "cp-rate": ("rate_10k", "lower"),
    "entries": ("count", "lower"),
    "assessment-days": ("days", "lower"),
    "eet": ("percentage", "higher"),
}

# Twelve monthly baseline periods (April 2023 - March 2024), intervention from April 2024, twelve
# follow-up periods; the demo evaluation's shape.
PLAN = AnalysisPlan(
    intervention_start=date(2024, 4, 1),
    baseline_start=date(2023, 4, 1),
    baseline_end=date(2024, 3, 31),
    follow_up_start=date(2024, 4, 1),
    follow_up_end=date(2025, 3, 31),
)
MONTHS = pd.date_range("2023-04-01", periods=24, freq="MS")


def frame(code: str, rows) -> pd.DataFrame:
    """Rows of (period_start, group, value, numerator, denominator) for one measure, monthly periods."""
    unit, polarity = MEASURES[code]
    records = [
        {
            "measure_code": code,
            "measure_name": code,
            "unit": unit,
            "polarity": polarity,
            "period_start": pd.Timestamp(start),
            "period_end": pd.Timestamp(start) + pd.offsets.MonthEnd(0),
            "group": group,
            "value": value,
            "numerator": numerator,
            "denominator": denominator,
        }
        for start, group, value, numerator, denominator in rows
    ]
    result = pd.DataFrame(records)
    result["value"] = result["value"].astype("float64")
    result["numerator"] = result["numerator"].astype("Int64")
    result["denominator"] = result["denominator"].astype("Int64")
    return result


def proportion_rows(group, numerators, denominators, months=MONTHS):
    return [(m, group, 100 * x / n if n else None, x, n) for m, x, n in zip(months, numerators, denominators)]


def value_rows(group, values, months=MONTHS):
    return [(m, group, v, None, None) for m, v in zip(months, values)]


# Fixed fixtures: a year either side for one group, made up but shaped like the demo data.
BASE_X = [12, 15, 11, 14, 13, 16, 12, 10, 14, 15, 13, 12]
BASE_N = [40, 42, 38, 41, 40, 44, 39, 37, 42, 43, 40, 41]
POST_X = [9, 10, 8, 11, 9, 7, 10, 8, 9, 11, 8, 9]
POST_N = [41, 40, 39, 42, 40, 38, 41, 39, 40, 42, 39, 40]
DAYS_BEFORE = [31.5, 29.0, 33.2, 30.1, 28.7, 35.0, 32.4, 30.9, 29.8, 34.1, 31.0, 30.2]
DAYS_AFTER = [27.1, 25.4, 28.9, 24.0, 26.6, 25.1, 29.3, 23.8, 26.0, 27.7, 24.9, 25.5]


# --- The interval functions against statsmodels and scipy --------------------------------------


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"), [(56, 70, 48, 80), (9, 10, 3, 10), (0, 10, 0, 20), (10, 10, 0, 20), (1, 1_000_000_000, 3, 7)]
)
def test_newcombe_difference_matches_statsmodels(x1, n1, x2, n2):
    d, low, high = newcombe_difference(x1, n1, x2, n2)
    reference = confint_proportions_2indep(x1, n1, x2, n2, compare="diff", method="newcomb")
    assert d == pytest.approx(x1 / n1 - x2 / n2, abs=1e-12)
    assert (low, high) == (pytest.approx(reference[0], abs=1e-9), pytest.approx(reference[1], abs=1e-9))


def test_newcombe_difference_matches_newcombe_1998_worked_example():
    # Newcombe RG (1998) Stat Med 17:873-890, Table II, example (a) 56/70 - 48/80, method 10.
    _, low, high = newcombe_difference(56, 70, 48, 80)
    assert (low, high) == (pytest.approx(0.0524, abs=5e-5), pytest.approx(0.3339, abs=5e-5))


@pytest.mark.parametrize(
    ("x1", "e1", "x2", "e2"), [(30, 1000, 45, 1200), (0, 500, 4, 500), (120, 3.0, 90, 4.0), (7, 2e9, 9, 3e9)]
)
def test_poisson_rate_difference_matches_statsmodels_mover(x1, e1, x2, e2):
    d, low, high = poisson_rate_difference(x1, e1, x2, e2)
    reference = confint_poisson_2indep(x1, e1, x2, e2, compare="diff", method="mover")
    assert d == pytest.approx(x1 / e1 - x2 / e2, rel=1e-12, abs=1e-15)
    assert low == pytest.approx(reference[0], rel=1e-9, abs=1e-12)
    assert high == pytest.approx(reference[1], rel=1e-9, abs=1e-12)


def test_welch_difference_matches_scipy_and_statsmodels():
    d, low, high, df = welch_difference(DAYS_AFTER, DAYS_BEFORE)
    result = stats.ttest_ind(DAYS_AFTER, DAYS_BEFORE, equal_var=False)
    interval = result.confidence_interval(0.95)
    assert (low, high) == (pytest.approx(interval.low, abs=1e-9), pytest.approx(interval.high, abs=1e-9))
    assert df == pytest.approx(result.df, abs=1e-9)
    reference = CompareMeans(DescrStatsW(DAYS_AFTER), DescrStatsW(DAYS_BEFORE)).tconfint_diff(usevar="unequal")
    assert (low, high) == (pytest.approx(reference[0], abs=1e-9), pytest.approx(reference[1], abs=1e-9))
    assert d == pytest.approx(np.mean(DAYS_AFTER) - np.mean(DAYS_BEFORE), abs=1e-12)


def test_smallest_detectable_difference_of_proportions_by_hand():
    # (1.959964 + 0.841621) * sqrt(0.3 * 0.7 * (1/500 + 1/500)) = 2.801585 * 0.028983 = 0.081197
    assert smallest_detectable_proportions(0.3, 500, 500) == pytest.approx(2.8015852 * math.sqrt(0.21 * 0.004), abs=1e-7)


# --- The conclusion rule -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("estimate", "low", "high", "polarity", "planned", "expected"),
    [
        (-5.0, -8.0, -2.0, "lower", "decrease", "improved"),
        (-5.0, -8.0, -2.0, "lower", None, "improved"),
        (-5.0, -8.0, -2.0, "higher", "increase", "worsened"),
        (5.0, 2.0, 8.0, "lower", "decrease", "worsened"),
        (5.0, 2.0, 8.0, "higher", "increase", "improved"),
        (-1.0, -4.0, 2.0, "lower", "decrease", "no clear change"),
        (0.0, 0.0, 3.0, "higher", "increase", "no clear change"),  # an interval touching zero does not exclude it
        (-5.0, -8.0, -2.0, "lower", "no_change", "no clear change"),  # better, but not what the plan expected
        (-5.0, -8.0, -2.0, "lower", "increase", "no clear change"),
        (math.nan, -8.0, -2.0, "lower", "decrease", "not estimable"),
        (-5.0, -math.inf, -2.0, "lower", "decrease", "not estimable"),
        (None, None, None, "lower", "decrease", "not estimable"),
        (-5.0, -8.0, -2.0, "", "decrease", "not estimable"),
    ],
)
def test_conclusion_needs_an_interval_excluding_zero_in_the_planned_direction(estimate, low, high, polarity, planned, expected):
    assert conclude(estimate, low, high, polarity=polarity, planned_direction=planned) == expected


# --- Pre/post ----------------------------------------------------------------------------------


def test_pre_post_of_a_percentage_pools_each_window_and_matches_statsmodels_newcombe():
    data = frame("re-referrals", proportion_rows("intervention", BASE_X + POST_X, BASE_N + POST_N))
    result = pre_post(data, PLAN, measure_code="re-referrals", planned_direction="decrease")
    reference = confint_proportions_2indep(sum(POST_X), sum(POST_N), sum(BASE_X), sum(BASE_N), compare="diff", method="newcomb")
    assert result.estimate == pytest.approx(100 * (sum(POST_X) / sum(POST_N) - sum(BASE_X) / sum(BASE_N)), abs=1e-9)
    assert result.ci_low == pytest.approx(100 * reference[0], abs=1e-9)
    assert result.ci_high == pytest.approx(100 * reference[1], abs=1e-9)
    assert result.scale == "percentage points"
    baseline = sum(BASE_X) / sum(BASE_N) * 100
    assert result.relative_change == pytest.approx(result.estimate / baseline, abs=1e-12)
    assert result.conclusion == "improved"  # 157/487 to 109/481: -9.6 points (-15.5 to -3.6)
    p = (sum(POST_X) + sum(BASE_X)) / (sum(POST_N) + sum(BASE_N))
    assert result.smallest_detectable == pytest.approx(
        100 * smallest_detectable_proportions(p, sum(POST_N), sum(BASE_N)), abs=1e-9
    )
    assert [point["window"] for point in result.chart["points"]] == ["baseline"] * 12 + ["follow_up"] * 12


def test_pre_post_of_a_rate_is_a_poisson_difference_per_10000():
    data = frame(
        "cp-rate", [(m, "intervention", None, x, 20_000 + 10 * i) for i, (m, x) in enumerate(zip(MONTHS, BASE_X + POST_X))]
    )
    result = pre_post(data, PLAN, measure_code="cp-rate", planned_direction="decrease")
    exposure_before = sum(20_000 + 10 * i for i in range(12))
    exposure_after = sum(20_000 + 10 * i for i in range(12, 24))
    reference = confint_poisson_2indep(sum(POST_X), exposure_after, sum(BASE_X), exposure_before, compare="diff", method="mover")
    assert result.estimate == pytest.approx(10_000 * (sum(POST_X) / exposure_after - sum(BASE_X) / exposure_before), abs=1e-9)
    assert result.ci_low == pytest.approx(10_000 * reference[0], abs=1e-9)
    assert result.ci_high == pytest.approx(10_000 * reference[1], abs=1e-9)
    assert result.scale == "per 10,000 children"
    assert "MOVER" in result.method


def test_pre_post_of_a_count_is_a_poisson_difference_per_period():
    data = frame("entries", value_rows("intervention", BASE_X + POST_X))
    result = pre_post(data, PLAN, measure_code="entries")
    reference = confint_poisson_2indep(sum(POST_X), 12, sum(BASE_X), 12, compare="diff", method="mover")
    assert result.estimate == pytest.approx((sum(POST_X) - sum(BASE_X)) / 12, abs=1e-12)
    assert (result.ci_low, result.ci_high) == (pytest.approx(reference[0], abs=1e-9), pytest.approx(reference[1], abs=1e-9))
    assert any("Poisson" in note for note in result.limitations)


def test_pre_post_of_days_is_welch_on_the_period_values():
    data = frame("assessment-days", value_rows("intervention", DAYS_BEFORE + DAYS_AFTER))
    result = pre_post(data, PLAN, measure_code="assessment-days", planned_direction="decrease")
    interval = stats.ttest_ind(DAYS_AFTER, DAYS_BEFORE, equal_var=False).confidence_interval(0.95)
    assert result.estimate == pytest.approx(np.mean(DAYS_AFTER) - np.mean(DAYS_BEFORE), abs=1e-9)
    assert (result.ci_low, result.ci_high) == (pytest.approx(interval.low, abs=1e-9), pytest.approx(interval.high, abs=1e-9))
    assert result.conclusion == "improved"
    va, vb = np.var(DAYS_AFTER, ddof=1), np.var(DAYS_BEFORE, ddof=1)
    assert result.smallest_detectable == pytest.approx(
        (1.959963984540054 + 0.8416212335729143) * math.sqrt(va / 12 + vb / 12), abs=1e-9
    )


def test_pre_post_is_not_estimable_when_a_window_is_empty_or_0_of_0():
    only_baseline = frame("re-referrals", proportion_rows("intervention", BASE_X, BASE_N))
    result = pre_post(only_baseline, PLAN, measure_code="re-referrals")
    assert (result.conclusion, result.reason) == ("not estimable", "there are no values in the follow-up window")
    empty = frame("re-referrals", proportion_rows("intervention", [0] * 24, [0] * 24))
    result = pre_post(empty, PLAN, measure_code="re-referrals")
    assert result.conclusion == "not estimable" and "0/0" in result.reason
    assert result.estimate is None and result.ci_low is None


def test_pre_post_uses_all_children_when_the_intervention_group_has_no_rows():
    data = frame("re-referrals", proportion_rows("all", BASE_X + POST_X, BASE_N + POST_N))
    result = pre_post(data, PLAN, measure_code="re-referrals", planned_direction="decrease")
    assert result.conclusion == "improved"
    assert any("all children" in note for note in result.limitations)


# --- Randomised trial --------------------------------------------------------------------------


def test_randomised_trial_compares_the_groups_over_follow_up_only():
    comparison_x = [13, 12, 14, 11, 15, 12, 13, 14, 12, 13, 11, 14]
    data = frame(
        "re-referrals",
        proportion_rows("intervention", [0] * 12 + POST_X, [40] * 12 + POST_N)
        + proportion_rows("comparison", [40] * 12 + comparison_x, [40] * 12 + POST_N),
    )
    result = randomised_trial(data, PLAN, measure_code="re-referrals", planned_direction="decrease")
    reference = confint_proportions_2indep(
        sum(POST_X), sum(POST_N), sum(comparison_x), sum(POST_N), compare="diff", method="newcomb"
    )
    assert result.estimate == pytest.approx(100 * (sum(POST_X) - sum(comparison_x)) / sum(POST_N), abs=1e-9)
    assert (result.ci_low, result.ci_high) == (
        pytest.approx(100 * reference[0], abs=1e-9),
        pytest.approx(100 * reference[1], abs=1e-9),
    )
    assert result.relative_change == pytest.approx(result.estimate / (100 * sum(comparison_x) / sum(POST_N)), abs=1e-12)


def test_randomised_trial_without_a_comparison_group_is_not_estimable():
    data = frame("re-referrals", proportion_rows("intervention", BASE_X + POST_X, BASE_N + POST_N))
    result = randomised_trial(data, PLAN, measure_code="re-referrals")
    assert result.conclusion == "not estimable"
    assert result.reason == 'there are no values for the group "comparison"'


# --- Difference-in-differences -----------------------------------------------------------------

# Period values of a balanced panel (percentages), made up: 12 months either side for each group.
I_VALUES = [31.2, 29.5, 33.1, 30.4, 32.0, 28.8, 30.9, 31.7, 29.9, 32.6, 30.1, 31.4]
I_VALUES += [26.0, 24.9, 27.3, 25.1, 23.8, 26.4, 25.7, 24.2, 26.9, 25.0, 24.6, 26.1]
C_VALUES = [30.5, 31.1, 29.2, 32.4, 30.0, 31.8, 29.6, 30.7, 31.5, 29.1, 30.9, 30.2]
C_VALUES += [30.8, 29.4, 31.2, 30.1, 31.9, 29.8, 30.6, 31.0, 29.7, 30.3, 31.6, 30.4]


def panel(intervention, comparison, code="re-referrals"):
    return frame(code, value_rows("intervention", intervention) + value_rows("comparison", comparison))


def stacked(intervention, comparison):
    """The same panel as statsmodels' formula interface reads it."""
    t = list(range(24))
    return pd.DataFrame(
        {
            "y": intervention + comparison,
            "treated": [1] * 24 + [0] * 24,
            "post": [int(i >= 12) for i in t] * 2,
            "t": t * 2,
        }
    )


def test_newey_west_lag_rule():
    assert [newey_west_lags(t) for t in (1, 2, 12, 24, 36, 60, 100, 1000)] == [0, 1, 2, 2, 3, 3, 4, 6]
    assert newey_west_lags(24) == math.floor(4 * (24 / 100) ** (2 / 9))


def test_did_on_a_balanced_panel_is_the_hand_worked_difference_of_differences():
    result = difference_in_differences(panel(I_VALUES, C_VALUES), PLAN, measure_code="re-referrals", planned_direction="decrease")
    by_hand = (np.mean(I_VALUES[12:]) - np.mean(I_VALUES[:12])) - (np.mean(C_VALUES[12:]) - np.mean(C_VALUES[:12]))
    assert result.estimate == pytest.approx(by_hand, abs=1e-9)
    assert result.conclusion == "improved"
    counterfactual = np.mean(I_VALUES[:12]) + np.mean(C_VALUES[12:]) - np.mean(C_VALUES[:12])
    assert result.relative_change == pytest.approx(by_hand / counterfactual, abs=1e-12)


def test_did_newey_west_error_equals_a_direct_statsmodels_fit():
    result = difference_in_differences(panel(I_VALUES, C_VALUES), PLAN, measure_code="re-referrals")
    data = stacked(I_VALUES, C_VALUES)
    lags = math.floor(4 * (24 / 100) ** (2 / 9))
    fit = smf.ols("y ~ treated + post + treated:post", data).fit(
        cov_type="hac-groupsum", cov_kwds={"time": data["t"].to_numpy(), "maxlags": lags, "use_correction": "hac"}
    )
    se = fit.bse["treated:post"]
    assert result.diagnostics["se_newey_west"] == pytest.approx(se, abs=1e-9)
    assert result.diagnostics["lags"] == lags == 2
    classical = smf.ols("y ~ treated + post + treated:post", data).fit()
    assert result.diagnostics["se_classical"] == pytest.approx(classical.bse["treated:post"], abs=1e-9)
    # The interval is on the larger of the two errors, with the residual degrees of freedom.
    half = stats.t.ppf(0.975, 48 - 4) * max(se, classical.bse["treated:post"])
    assert (result.ci_low, result.ci_high) == (
        pytest.approx(fit.params["treated:post"] - half, abs=1e-9),
        pytest.approx(fit.params["treated:post"] + half, abs=1e-9),
    )
    # Balanced, equal weights: the classical error is sigma * sqrt(4 / 12).
    assert classical.bse["treated:post"] == pytest.approx(math.sqrt(classical.scale * 4 / 12), abs=1e-12)
    assert result.smallest_detectable == pytest.approx(2.8015852 * classical.bse["treated:post"], abs=1e-6)


def test_did_event_study_is_each_period_difference_against_the_last_baseline_period():
    result = difference_in_differences(panel(I_VALUES, C_VALUES), PLAN, measure_code="re-referrals")
    events = result.chart["event_study"]
    reference = I_VALUES[11] - C_VALUES[11]
    assert [e["estimate"] for e in events] == pytest.approx([i - c - reference for i, c in zip(I_VALUES, C_VALUES)], abs=1e-9)
    assert [e["reference"] for e in events] == [i == 11 for i in range(24)]
    # The same numbers as the treated x period coefficients of a (saturated) regression with period effects.
    data = stacked(I_VALUES, C_VALUES)
    for k in range(24):
        if k != 11:
            data[f"e{k}"] = (data["treated"] * (data["t"] == k)).astype(float)
    terms = " + ".join(f"e{k}" for k in range(24) if k != 11)
    fit = smf.ols(f"y ~ C(t) + treated + {terms}", data).fit()
    assert [fit.params[f"e{k}"] for k in range(24) if k != 11] == pytest.approx(
        [e["estimate"] for e in events if not e["reference"]], abs=1e-9
    )


def test_did_pre_trend_check_matches_statsmodels_and_a_failure_is_a_limitation():
    drifting = [25.0 + 0.8 * k + v - 30 for k, v in enumerate(I_VALUES[:12])] + I_VALUES[12:]
    result = difference_in_differences(panel(drifting, C_VALUES), PLAN, measure_code="re-referrals")
    difference = pd.DataFrame({"d": np.subtract(drifting[:12], C_VALUES[:12]), "t": range(12)})
    fit = smf.ols("d ~ t", difference).fit(cov_type="HAC", cov_kwds={"maxlags": 2, "use_correction": True}, use_t=True)
    pre_trend = result.diagnostics["pre_trend"]
    assert pre_trend["slope_per_period"] == pytest.approx(fit.params["t"], abs=1e-9)
    assert pre_trend["p_value"] == pytest.approx(fit.pvalues["t"], abs=1e-9)
    assert pre_trend["p_value"] < 0.05
    assert any("drifting apart before the intervention" in note for note in result.limitations)
    steady = difference_in_differences(panel(I_VALUES, C_VALUES), PLAN, measure_code="re-referrals")
    assert steady.diagnostics["pre_trend"]["p_value"] > 0.05
    assert not any("drifting apart" in note for note in steady.limitations)


def simulated_panel(seed, effect_points, children=200):
    """Monthly proportions for both groups, true rate 30%, the intervention's moving by effect_points
    from April 2024; binomial noise only."""
    rng = np.random.default_rng(seed)
    rows = []
    for group, shift in (("intervention", effect_points / 100), ("comparison", 0.0)):
        for k, month in enumerate(MONTHS):
            p = 0.30 + (shift if k >= 12 else 0.0)
            x = int(rng.binomial(children, p))
            rows.append((month, group, 100 * x / children, x, children))
    return frame("re-referrals", rows)


def test_with_no_true_change_in_either_group_did_finds_no_clear_change():
    # The finding: first-vs-last said one group "improved" by 9.1 points and the other "worsened".
    result = difference_in_differences(
        simulated_panel(2024, 0.0), PLAN, measure_code="re-referrals", planned_direction="decrease"
    )
    assert result.conclusion == "no clear change"
    assert result.ci_low < 0 < result.ci_high


def test_with_a_true_effect_of_minus_5_points_the_did_interval_contains_it():
    result = difference_in_differences(
        simulated_panel(2024, -5.0), PLAN, measure_code="re-referrals", planned_direction="decrease"
    )
    assert result.ci_low < -5 < result.ci_high
    assert result.conclusion == "improved"


def test_did_without_the_comparison_group_in_a_window_is_not_estimable():
    data = frame("re-referrals", value_rows("intervention", I_VALUES) + value_rows("comparison", C_VALUES[:12]))
    result = difference_in_differences(data, PLAN, measure_code="re-referrals")
    assert (result.conclusion, result.reason) == ("not estimable", "the comparison group has no values in the follow-up window")
    one_period = frame("re-referrals", [(MONTHS[0], g, 30.0, None, None) for g in ("intervention", "comparison")])
    assert difference_in_differences(one_period, PLAN, measure_code="re-referrals").conclusion == "not estimable"


# --- Interrupted time series -------------------------------------------------------------------


def its_series(seed, months, start_index, level=-5.0, slope=0.0, noise=1.5, base=30.0, trend=0.1):
    """A monthly series with a trend, and a level and slope change from start_index; fixed seed."""
    rng = np.random.default_rng(seed)
    t = np.arange(len(months))
    post = (t >= start_index).astype(float)
    return list(base + trend * t + level * post + slope * (t - start_index) * post + rng.normal(0, noise, len(t)))


def segmented(values, start_index, treated=None):
    t = np.arange(len(values))
    data = pd.DataFrame({"y": values, "t": t, "post": (t >= start_index).astype(int)})
    data["t_post"] = (data["t"] - start_index) * data["post"]
    data["month"] = [m.month for m in pd.date_range("2023-04-01", periods=len(values), freq="MS")]
    return data


def test_its_matches_a_direct_statsmodels_segmented_regression_with_newey_west_errors():
    values = its_series(7, MONTHS, 12, level=-5.0, slope=-0.2)
    result = interrupted_time_series(frame("re-referrals", value_rows("intervention", values)), PLAN, measure_code="re-referrals")
    data = segmented(values, 12)
    lags = math.floor(4 * (24 / 100) ** (2 / 9))
    fit = smf.ols("y ~ t + post + t_post", data).fit(
        cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}, use_t=True
    )
    effect = fit.t_test("post + 11 * t_post = 0")  # end of follow-up: T - t0 = 23 - 12
    assert result.estimate == pytest.approx(float(effect.effect[0]), abs=1e-9)
    assert result.diagnostics["se_newey_west"] == pytest.approx(float(effect.sd[0][0]), abs=1e-9)
    classical = smf.ols("y ~ t + post + t_post", data).fit()
    se_classical = float(classical.t_test("post + 11 * t_post = 0").sd[0][0])
    assert result.diagnostics["se_classical"] == pytest.approx(se_classical, abs=1e-9)
    half = stats.t.ppf(0.975, 20) * max(float(effect.sd[0][0]), se_classical)
    assert (result.ci_low, result.ci_high) == (
        pytest.approx(result.estimate - half, abs=1e-9),
        pytest.approx(result.estimate + half, abs=1e-9),
    )
    assert result.diagnostics["level_change"]["estimate"] == pytest.approx(fit.params["post"], abs=1e-9)
    assert result.diagnostics["slope_change"]["estimate"] == pytest.approx(fit.params["t_post"], abs=1e-9)
    assert result.diagnostics["level_change"]["se_newey_west"] == pytest.approx(fit.bse["post"], abs=1e-9)
    assert result.diagnostics["residuals"]["durbin_watson"] == pytest.approx(durbin_watson(fit.resid), abs=1e-9)
    lb = acorr_ljungbox(fit.resid, lags=[4])["lb_pvalue"].iloc[0]
    assert result.diagnostics["residuals"]["ljung_box_p"] == pytest.approx(lb, abs=1e-9)
    counterfactual = [fit.params["Intercept"] + fit.params["t"] * t for t in range(12, 24)]
    assert [p["counterfactual"] for p in result.chart["points"][12:]] == pytest.approx(counterfactual, abs=1e-9)
    assert all(p["counterfactual"] is None for p in result.chart["points"][:12])
    assert result.design == "its"
    assert result.conclusion == "improved"


def test_its_adds_month_of_year_terms_with_24_baseline_months():
    months = pd.date_range("2021-04-01", periods=36, freq="MS")
    plan = AnalysisPlan(
        intervention_start=date(2023, 4, 1),
        baseline_start=date(2021, 4, 1),
        baseline_end=date(2023, 3, 31),
        follow_up_start=date(2023, 4, 1),
        follow_up_end=date(2024, 3, 31),
    )
    values = [v + 2 * math.sin(m.month) for v, m in zip(its_series(11, months, 24), months)]
    result = interrupted_time_series(
        frame("re-referrals", value_rows("intervention", values, months)), plan, measure_code="re-referrals"
    )
    data = segmented(values, 24)
    data["month"] = [m.month for m in months]
    fit = smf.ols("y ~ t + post + t_post + C(month)", data).fit(
        cov_type="HAC", cov_kwds={"maxlags": math.floor(4 * 0.36 ** (2 / 9)), "use_correction": True}, use_t=True
    )
    effect = fit.t_test("post + 11 * t_post = 0")
    assert result.diagnostics["seasonal"] is True
    assert result.estimate == pytest.approx(float(effect.effect[0]), abs=1e-9)
    assert result.diagnostics["se_newey_west"] == pytest.approx(float(effect.sd[0][0]), abs=1e-9)
    assert "month-of-year" in result.method


def test_controlled_its_interacts_every_term_with_treated_and_matches_statsmodels():
    treated = its_series(3, MONTHS, 12, level=-5.0)
    comparison = its_series(4, MONTHS, 12, level=0.0)
    data_frame = frame("re-referrals", value_rows("intervention", treated) + value_rows("comparison", comparison))
    result = interrupted_time_series(data_frame, PLAN, measure_code="re-referrals", planned_direction="decrease")
    data = pd.concat([segmented(treated, 12).assign(treated=1), segmented(comparison, 12).assign(treated=0)])
    fit = smf.ols("y ~ (t + post + t_post) * treated", data).fit(
        cov_type="hac-groupsum", cov_kwds={"time": data["t"].to_numpy(), "maxlags": 2, "use_correction": "hac"}
    )
    effect = fit.t_test("post:treated + 11 * t_post:treated = 0")
    assert result.design == "controlled_its"
    assert result.estimate == pytest.approx(float(effect.effect[0]), abs=1e-9)
    assert result.diagnostics["se_newey_west"] == pytest.approx(float(effect.sd[0][0]), abs=1e-9)
    assert result.ci_low < -5 < result.ci_high


def test_its_needs_three_periods_either_side():
    values = its_series(1, MONTHS, 12)
    data = frame("re-referrals", value_rows("intervention", values[:2] + [None] * 10 + values[12:]))
    result = interrupted_time_series(data, PLAN, measure_code="re-referrals")
    assert result.conclusion == "not estimable"
    assert "three periods before and three after" in result.reason


# --- Statistical process control ---------------------------------------------------------------


def test_anhoej_rules_by_hand():
    # Centre 10; 10.0 sits on the line and is dropped: 11 useful points, sides + + - - - - - - + - +.
    values = [12, 11, 9, 8, 10.0, 7, 9, 8, 6, 9, 11, 8, 13]
    result = anhoej_rules(values, 10.0)
    assert result["n_useful"] == 12
    assert (result["longest_run"], result["run_side"]) == (7, "below")
    assert result["crossings"] == 4
    assert result["longest_run_max"] == round(math.log2(12) + 3) == 7
    assert result["crossings_min"] == int(stats.binom.ppf(0.05, 11, 0.5)) == 3
    assert (result["shift"], result["too_few_crossings"]) == (False, False)


@pytest.mark.parametrize(("n", "longest", "crossings"), [(10, 6, 2), (24, 8, 8), (30, 8, 10)])
def test_anhoej_limits_match_the_published_table(n, longest, crossings):
    # Anhøj and Olesen (2014) PLoS One 9(11): e113825, Table 1 (as qicharts2 uses it).
    result = anhoej_rules([1.0, -1.0] * (n // 2), 0.0)
    assert (result["longest_run_max"], result["crossings_min"]) == (longest, crossings)


def test_xmr_chart_for_days_takes_centre_and_limits_from_the_baseline():
    after = [v - 6 for v in DAYS_AFTER]  # a clear fall: shorter assessments
    result = process_control(
        frame("assessment-days", value_rows("intervention", DAYS_BEFORE + after)), PLAN, measure_code="assessment-days"
    )
    centre = np.mean(DAYS_BEFORE)
    moving_range = np.mean(np.abs(np.diff(DAYS_BEFORE)))
    assert result.chart["chart_type"] == "xmr"
    assert result.chart["centre"] == pytest.approx(centre, abs=1e-9)
    assert result.chart["points"][0]["upper"] == pytest.approx(centre + 2.66 * moving_range, abs=1e-9)
    assert result.chart["points"][-1]["lower"] == pytest.approx(centre - 2.66 * moving_range, abs=1e-9)
    assert result.diagnostics["variation"] == "special cause improving"
    assert result.conclusion == "improved"
    assert result.estimate == pytest.approx(np.mean(after) - centre, abs=1e-9)


def test_p_chart_limits_vary_with_each_denominator_and_stay_within_0_and_100():
    data = frame("re-referrals", proportion_rows("intervention", BASE_X + POST_X, BASE_N + POST_N))
    result = process_control(data, PLAN, measure_code="re-referrals", planned_direction="decrease")
    p = sum(BASE_X) / sum(BASE_N)
    assert result.chart["chart_type"] == "p"
    assert result.chart["centre"] == pytest.approx(100 * p, abs=1e-9)
    for point, n in zip(result.chart["points"], BASE_N + POST_N):
        half = 3 * math.sqrt(p * (1 - p) / n)
        assert point["upper"] == pytest.approx(100 * min(p + half, 1), abs=1e-9)
        assert point["lower"] == pytest.approx(100 * max(p - half, 0), abs=1e-9)
    # 12 follow-up points all below the centre: a run of 12 > round(log2(12) + 3) = 7.
    assert result.diagnostics["runs_after_baseline"]["shift"] is True
    assert (result.diagnostics["variation"], result.conclusion) == ("special cause improving", "improved")


def test_u_chart_for_a_rate_per_10000():
    data = frame("cp-rate", [(m, "intervention", None, x, 20_000) for m, x in zip(MONTHS, BASE_X + BASE_X)])
    result = process_control(data, PLAN, measure_code="cp-rate")
    u = sum(BASE_X) / (12 * 20_000)
    assert result.chart["chart_type"] == "u"
    assert result.chart["centre"] == pytest.approx(10_000 * u, abs=1e-9)
    assert result.chart["points"][0]["upper"] == pytest.approx(10_000 * (u + 3 * math.sqrt(u / 20_000)), abs=1e-9)
    assert (result.diagnostics["variation"], result.conclusion) == ("common cause", "no clear change")


def test_a_rise_in_a_lower_is_better_count_is_special_cause_concerning():
    data = frame("entries", value_rows("intervention", BASE_X + [x + 8 for x in BASE_X]))
    result = process_control(data, PLAN, measure_code="entries", planned_direction="decrease")
    assert (result.diagnostics["variation"], result.conclusion) == ("special cause concerning", "worsened")


def test_a_control_chart_needs_two_baseline_periods():
    data = frame("entries", value_rows("intervention", [12], MONTHS[11:12]) + value_rows("intervention", POST_X, MONTHS[12:]))
    result = process_control(data, PLAN, measure_code="entries")
    assert (result.conclusion, result.reason) == ("not estimable", "a control chart needs at least two baseline periods")


# --- Time to event -----------------------------------------------------------------------------


def test_greenwood_cumulative_incidence_by_hand():
    # Times 2, 3, 3, 5, 8, 10+ (censored), 12: at 2: 7 at risk, 1 event; at 3: 6, 2; at 5: 4, 1; at 8: 3, 1.
    durations = [2, 3, 3, 5, 8, 10, 12]
    events = [1, 1, 1, 1, 1, 0, 1]
    survival = (6 / 7) * (4 / 6) * (3 / 4) * (2 / 3)
    greenwood = 1 / (7 * 6) + 2 / (6 * 4) + 1 / (4 * 3) + 1 / (3 * 2)
    incidence, variance = greenwood_cumulative_incidence(durations, events, 9)
    assert incidence == pytest.approx(1 - survival, abs=1e-12)
    assert variance == pytest.approx(survival**2 * greenwood, abs=1e-12)
    kmf = KaplanMeierFitter().fit(durations, events)
    assert 1 - kmf.survival_function_at_times(9).iloc[0] == pytest.approx(incidence, abs=1e-12)


def children_rows(seed, group, n, daily_hazard):
    rng = np.random.default_rng(seed)
    starts = pd.Timestamp("2024-04-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D")
    days = rng.exponential(1 / daily_hazard, n).astype(int)
    end = pd.Timestamp("2025-09-30")
    events = [s + pd.Timedelta(days=int(d)) for s, d in zip(starts, days)]
    return pd.DataFrame(
        {
            "group": group,
            "start_date": starts,
            "event_date": [e if e <= end else pd.NaT for e in events],
            "period_end": end,
        }
    )


def test_time_to_event_matches_lifelines_and_greenwood():
    children = pd.concat([children_rows(1, "intervention", 150, 1 / 900), children_rows(2, "comparison", 150, 1 / 400)])
    result = time_to_event(children, measure_code="re-referral", polarity="lower", planned_direction="decrease")
    data = children.assign(
        event=children["event_date"].notna(),
        days=(children["event_date"].fillna(children["period_end"]) - children["start_date"]).dt.days,
    )
    a, b = data[data["group"] == "intervention"], data[data["group"] == "comparison"]
    reference = logrank_test(a["days"], b["days"], event_observed_A=a["event"], event_observed_B=b["event"])
    assert result.diagnostics["log_rank"]["p_value"] == pytest.approx(reference.p_value, abs=1e-12)
    ka = KaplanMeierFitter().fit(a["days"], a["event"])
    kb = KaplanMeierFitter().fit(b["days"], b["event"])
    f1, v1 = greenwood_cumulative_incidence(a["days"], a["event"], 365)
    f2, v2 = greenwood_cumulative_incidence(b["days"], b["event"], 365)
    assert f1 == pytest.approx(1 - ka.survival_function_at_times(365).iloc[0], abs=1e-12)
    assert f2 == pytest.approx(1 - kb.survival_function_at_times(365).iloc[0], abs=1e-12)
    assert result.estimate == pytest.approx(100 * (f1 - f2), abs=1e-9)
    assert result.ci_high - result.estimate == pytest.approx(100 * 1.959963984540054 * math.sqrt(v1 + v2), abs=1e-9)
    assert result.conclusion == "improved"
    assert result.diagnostics["medians"]["comparison"]["median_days"] == pytest.approx(kb.median_survival_time_)


def test_time_to_event_without_a_group_or_long_enough_follow_up_is_not_estimable():
    children = children_rows(1, "intervention", 50, 1 / 300)
    result = time_to_event(children, measure_code="re-referral", polarity="lower")
    assert (result.conclusion, result.reason) == ("not estimable", 'there are no child rows for the group "comparison"')
    short = pd.concat([children, children_rows(2, "comparison", 50, 1 / 300)])
    assert time_to_event(short, measure_code="re-referral", polarity="lower", horizon_days=5000).conclusion == "not estimable"


# --- Edge cases: never raise, never NaN, never a conclusion without a finite interval ----------

count = st.integers(min_value=0, max_value=60)
huge = st.integers(min_value=0, max_value=10**12)


@st.composite
def edge_frames(draw):
    code = draw(st.sampled_from(sorted(MEASURES)))
    unit = MEASURES[code][0]
    periods = draw(st.integers(min_value=0, max_value=24))
    groups = draw(st.lists(st.sampled_from(["intervention", "comparison", "all"]), min_size=1, max_size=3, unique=True))
    big = draw(st.booleans())
    rows = []
    for group in groups:
        for month in MONTHS[:periods]:
            if draw(st.integers(0, 9)) == 0:
                continue  # a missing period
            denominator = draw(huge if big else count)
            numerator = draw(st.integers(min_value=0, max_value=denominator)) if unit in ("percentage", "rate_10k") else None
            if unit in ("percentage", "rate_10k"):
                scale = 100 if unit == "percentage" else 10_000
                value = numerator / denominator * scale if denominator else None
            else:
                value = draw(st.one_of(st.none(), st.floats(min_value=0, max_value=1e9), st.just(math.nan), st.just(0.0)))
                denominator = None
            rows.append((month, group, value, numerator, denominator))
    if not rows:
        return code, frame(code, [(MONTHS[0], "intervention", None, None, None)])
    return code, frame(code, rows)


def assert_sound(result):
    assert result.conclusion in CONCLUSIONS
    for number in (result.estimate, result.ci_low, result.ci_high, result.relative_change, result.smallest_detectable):
        assert number is None or math.isfinite(number)
    if result.conclusion == "not estimable":
        assert result.reason
    if result.design == "spc":  # a control chart concludes from its signals, not from an interval
        assert result.ci_low is None and result.ci_high is None
        assert (result.conclusion in ("improved", "worsened")) <= (
            result.diagnostics.get("variation", "common cause") != "common cause"
        )
        return
    if result.conclusion in ("improved", "worsened"):
        assert result.ci_low <= result.estimate <= result.ci_high or math.isclose(result.ci_low, result.ci_high)
        assert result.ci_low > 0 or result.ci_high < 0
    if result.conclusion in ("improved", "worsened", "no clear change"):
        assert result.estimate is not None and result.ci_low is not None and result.ci_high is not None


@SETTINGS
@given(edge_frames(), st.sampled_from(["increase", "decrease", "no_change", None]))
def test_every_design_returns_a_sound_result_on_any_frame(case, planned):
    code, data = case
    for design in DESIGNS.values():
        assert_sound(design(data, PLAN, measure_code=code, planned_direction=planned))


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["intervention", "comparison"]),
            st.integers(min_value=0, max_value=400),
            st.one_of(st.none(), st.integers(min_value=-5, max_value=600)),
        ),
        max_size=40,
    ),
    st.integers(min_value=1, max_value=500),
)
def test_time_to_event_returns_a_sound_result_on_any_children(rows, horizon):
    start = pd.Timestamp("2024-04-01")
    children = pd.DataFrame(
        {
            "group": [g for g, _, _ in rows],
            "start_date": [start + pd.Timedelta(days=s) for _, s, _ in rows],
            "event_date": [pd.NaT if e is None else start + pd.Timedelta(days=s + e) for _, s, e in rows],
            "period_end": pd.Timestamp("2025-06-30"),
        },
        columns=["group", "start_date", "event_date", "period_end"],
    )
    assert_sound(time_to_event(children, measure_code="re-referral", polarity="lower", horizon_days=horizon))
