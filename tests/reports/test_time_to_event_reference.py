"""Time to event against independent references, to 1e-9, on a fixed fixture with ties (several
events on one day, an event and a censoring on one day) and censoring at the horizon (children whose
follow-up ends exactly on the horizon day, beside events on it): the Kaplan-Meier curves, each
group's median time and its 95% interval (lifelines' KaplanMeierFitter and median_survival_times),
the log-rank test (lifelines.statistics.logrank_test), and the estimate with its interval, the
difference in the percentage with the event by the horizon with Greenwood's variances (statsmodels'
SurvfuncRight, a second implementation of Kaplan-Meier and Greenwood). The durations are worked out
here from the dates, so a slip in the code's date arithmetic shows. Then hypothesis for the edge
cases: no events, every event on day 0, one child a group, every child censored. Pure: no database."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test
from lifelines.utils import median_survival_times
from statsmodels.duration.survfunc import SurvfuncRight

from reports.estimates import CONCLUSIONS, Z_95, greenwood_cumulative_incidence, time_to_event

HORIZON = 90
BASE = pd.Timestamp("2024-04-01")
# (days to the event or to the end of follow-up, had the event), per group. Ties: three events on
# day 30 and an event and a censoring on day 45 (intervention); events on days 12 (x3) and 60 (x2)
# (comparison). At the horizon (90): an event and two censorings in the intervention group, an
# event and a censoring in the comparison group. Beyond it: events and censorings to day 200.
INTERVENTION = [
    (5, True), (12, True), (20, False), (30, True), (30, True), (30, True), (38, False), (45, True), (45, False),
    (52, True), (60, False), (71, True), (80, True), (90, True), (90, False), (90, False), (104, True), (120, False),
    (133, True), (150, False), (161, True), (175, False), (190, True), (200, False), (200, False),
]  # fmt: skip
COMPARISON = [
    (2, True), (7, True), (12, True), (12, True), (12, True), (15, False), (21, True), (27, True), (33, False),
    (40, True), (48, True), (55, True), (60, True), (60, True), (66, False), (75, True), (83, True), (90, True),
    (90, False), (97, True), (110, True), (128, False), (140, True), (170, True), (200, False),
]  # fmt: skip


def rows(groups: dict[str, list[tuple[int, bool]]]) -> pd.DataFrame:
    """One row per child: a start date that varies (days after BASE by position), the event date
    that many days later, or none and the period end then (censored at the period end)."""
    out = []
    for group, children in groups.items():
        for position, (days, event) in enumerate(children):
            start = BASE + pd.Timedelta(days=(7 * position) % 61)
            end = start + pd.Timedelta(days=days)
            out.append((group, start, end if event else pd.NaT, end if not event else end + pd.Timedelta(days=10)))
    return pd.DataFrame(out, columns=["group", "start_date", "event_date", "period_end"])


FIXTURE = {"intervention": INTERVENTION, "comparison": COMPARISON}


def fitted(children: list[tuple[int, bool]]) -> KaplanMeierFitter:
    days, events = zip(*children, strict=True)
    return KaplanMeierFitter().fit(list(days), list(events))


def by_horizon(children: list[tuple[int, bool]], horizon: float) -> tuple[float, float]:
    """statsmodels: 1 - S(horizon) and Greenwood's variance, S a right-continuous step function."""
    days, events = zip(*children, strict=True)
    curve = SurvfuncRight(np.array(days, dtype=float), np.array(events, dtype=float))
    steps = curve.surv_times <= horizon
    if not steps.any():
        return 0.0, 0.0
    last = np.flatnonzero(steps)[-1]
    if curve.surv_prob[last] == 0:  # Greenwood: S^2 x the sum, 0 once S is 0 (statsmodels gives NaN)
        return 1.0, 0.0
    return 1 - curve.surv_prob[last], curve.surv_prob_se[last] ** 2


def test_the_kaplan_meier_curves_medians_and_their_intervals_are_lifelines_to_1e_9():
    result = time_to_event(rows(FIXTURE), measure_code="m", polarity="lower", horizon_days=HORIZON)
    assert result.conclusion in CONCLUSIONS and result.estimate is not None
    for group, children in FIXTURE.items():
        kmf = fitted(children)
        curve = result.chart["curves"][group]
        assert [p["days"] for p in curve] == list(kmf.survival_function_.index)
        np.testing.assert_allclose([p["survival"] for p in curve], kmf.survival_function_.iloc[:, 0], rtol=0, atol=1e-9)
        np.testing.assert_allclose([p["ci_low"] for p in curve], kmf.confidence_interval_.iloc[:, 0], rtol=0, atol=1e-9)
        np.testing.assert_allclose([p["ci_high"] for p in curve], kmf.confidence_interval_.iloc[:, 1], rtol=0, atol=1e-9)
        assert [p["at_risk"] for p in curve] == list(kmf.event_table["at_risk"])
        assert [p["events"] for p in curve] == list(kmf.event_table["observed"])
        median = result.diagnostics["medians"][group]
        interval = median_survival_times(kmf.confidence_interval_)
        assert median["median_days"] == pytest.approx(kmf.median_survival_time_, abs=1e-9)
        for ours, theirs in ((median["ci_low"], interval.iloc[0, 0]), (median["ci_high"], interval.iloc[0, 1])):
            assert (ours is None and math.isinf(theirs)) or ours == pytest.approx(theirs, abs=1e-9)
        assert median["children"] == len(children) and median["events"] == sum(e for _, e in children)
        assert median["events_by_horizon"] == sum(e and d <= HORIZON for d, e in children)
    # The fixture's ties at the horizon: day 90 is a step of both curves, with its censorings at risk.
    intervention = {p["days"]: p for p in result.chart["curves"]["intervention"]}
    assert (intervention[90.0]["at_risk"], intervention[90.0]["events"]) == (12, 1)
    assert (intervention[30.0]["at_risk"], intervention[30.0]["events"]) == (22, 3)
    assert (intervention[45.0]["at_risk"], intervention[45.0]["events"]) == (18, 1)


def test_the_log_rank_test_is_lifelines_to_1e_9():
    result = time_to_event(rows(FIXTURE), measure_code="m", polarity="lower", horizon_days=HORIZON)
    (d1, e1), (d2, e2) = (zip(*FIXTURE[g], strict=True) for g in ("intervention", "comparison"))
    test = logrank_test(list(d1), list(d2), event_observed_A=list(e1), event_observed_B=list(e2))
    assert result.diagnostics["log_rank"]["statistic"] == pytest.approx(test.test_statistic, abs=1e-9)
    assert result.diagnostics["log_rank"]["p_value"] == pytest.approx(test.p_value, abs=1e-9)
    assert 0 < test.p_value < 1


def test_the_estimate_and_its_interval_are_statsmodels_greenwood_to_1e_9():
    result = time_to_event(rows(FIXTURE), measure_code="m", polarity="lower", horizon_days=HORIZON)
    (f1, v1), (f2, v2) = by_horizon(INTERVENTION, HORIZON), by_horizon(COMPARISON, HORIZON)
    estimate, half = 100 * (f1 - f2), 100 * Z_95 * math.sqrt(v1 + v2)
    assert result.estimate == pytest.approx(estimate, abs=1e-9)
    assert (result.ci_low, result.ci_high) == (pytest.approx(estimate - half, abs=1e-9), pytest.approx(estimate + half, abs=1e-9))
    # And lifelines agrees on the percentages by the horizon (the step on day 90 included).
    for group, f in (("intervention", f1), ("comparison", f2)):
        assert 1 - fitted(FIXTURE[group]).survival_function_at_times(HORIZON).iloc[0] == pytest.approx(f, abs=1e-12)
    # A horizon between steps reads the step before it; one on a step includes that step's events.
    for horizon in (89, 90, 91, 1, 200):
        for children in (INTERVENTION, COMPARISON):
            days, events = zip(*children, strict=True)
            ours = greenwood_cumulative_incidence(days, events, horizon)
            assert ours == pytest.approx(by_horizon(children, horizon), abs=1e-12)
    assert result.conclusion == ("improved" if result.ci_high < 0 else "no clear change")  # lower is better


def test_the_freireich_log_rank_is_lifelines_to_1e_9():
    from tests.reports.test_time_to_event import PLACEBO, SIX_MP, freireich

    result = time_to_event(freireich(), measure_code="relapse", polarity="lower", horizon_days=10)
    a = [(int(t.rstrip("+")), not t.endswith("+")) for t in SIX_MP]
    b = [(int(t.rstrip("+")), not t.endswith("+")) for t in PLACEBO]
    test = logrank_test(
        [d for d, _ in a], [d for d, _ in b], event_observed_A=[e for _, e in a], event_observed_B=[e for _, e in b]
    )
    assert result.diagnostics["log_rank"]["p_value"] == pytest.approx(test.p_value, abs=1e-9)
    assert result.diagnostics["log_rank"]["statistic"] == pytest.approx(test.test_statistic, abs=1e-9)
    (f1, v1), (f2, v2) = by_horizon(a, 10), by_horizon(b, 10)
    assert result.estimate == pytest.approx(100 * (f1 - f2), abs=1e-9)
    assert result.ci_high == pytest.approx(100 * (f1 - f2) + 100 * Z_95 * math.sqrt(v1 + v2), abs=1e-9)


# --- Edge cases (hypothesis) --------------------------------------------------------------------


def finite_or_none(value) -> bool:
    if isinstance(value, dict):
        return all(finite_or_none(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(finite_or_none(v) for v in value)
    return not isinstance(value, float) or math.isfinite(value)


def check(result, groups: dict[str, list[tuple[int, bool]]], horizon: int) -> None:
    """What holds for every result: a known conclusion, no NaN or infinity anywhere, and, when there
    is an estimate, lifelines' curves and log-rank test and statsmodels' Greenwood interval."""
    assert result.conclusion in CONCLUSIONS
    for number in (result.estimate, result.ci_low, result.ci_high, result.smallest_detectable, result.relative_change):
        assert number is None or math.isfinite(number)
    assert finite_or_none(result.chart) and finite_or_none(result.diagnostics)
    if result.conclusion == "not estimable":
        assert result.reason and result.estimate is None
        return
    (f1, v1), (f2, v2) = (by_horizon(groups[g], horizon) for g in ("intervention", "comparison"))
    assert result.estimate == pytest.approx(100 * (f1 - f2), abs=1e-9)
    assert result.ci_high - result.ci_low == pytest.approx(2 * 100 * Z_95 * math.sqrt(v1 + v2), abs=1e-9)
    for group, children in groups.items():
        kmf = fitted(children)
        survival = [p["survival"] for p in result.chart["curves"][group]]
        np.testing.assert_allclose(survival, kmf.survival_function_.iloc[:, 0], rtol=0, atol=1e-9)
    (d1, e1), (d2, e2) = (zip(*groups[g], strict=True) for g in ("intervention", "comparison"))
    test = logrank_test(list(d1), list(d2), event_observed_A=list(e1), event_observed_B=list(e2))
    assert result.diagnostics["log_rank"]["p_value"] == pytest.approx(test.p_value, abs=1e-9)


children_ = st.lists(st.tuples(st.integers(0, 120), st.booleans()), min_size=1, max_size=30)
horizons = st.integers(1, 120)


@settings(max_examples=30, deadline=None)
@given(children_, children_, horizons)
def test_any_children_give_a_result_that_agrees_with_lifelines_and_statsmodels(a, b, horizon):
    groups = {"intervention": a, "comparison": b}
    check(time_to_event(rows(groups), measure_code="m", polarity="lower", horizon_days=horizon), groups, horizon)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(0, 200), min_size=1, max_size=20),
    st.lists(st.integers(0, 200), min_size=1, max_size=20),
    horizons,
)
def test_with_no_events_the_estimate_is_not_estimable_and_says_why(a, b, horizon):
    groups = {"intervention": [(d, False) for d in a], "comparison": [(d, False) for d in b]}
    result = time_to_event(rows(groups), measure_code="m", polarity="lower", horizon_days=horizon)
    check(result, groups, horizon)
    assert result.conclusion == "not estimable"
    followed = max(a) >= horizon and max(b) >= horizon
    assert ("none did" in result.reason) if followed else ("is followed for" in result.reason)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 25), st.integers(1, 25), horizons)
def test_when_every_child_has_the_event_on_day_0_there_is_no_interval_and_the_reason_says_so(n1, n2, horizon):
    groups = {"intervention": [(0, True)] * n1, "comparison": [(0, True)] * n2}
    result = time_to_event(rows(groups), measure_code="m", polarity="lower", horizon_days=horizon)
    check(result, groups, horizon)
    assert result.conclusion == "not estimable" and "every child had the event" in result.reason
    medians = result.diagnostics.get("medians") or {}
    assert all(m["median_days"] in (None, 0.0) for m in medians.values())


@settings(max_examples=30, deadline=None)
@given(st.tuples(st.integers(0, 120), st.booleans()), st.tuples(st.integers(0, 120), st.booleans()), horizons)
def test_one_child_a_group_never_gives_an_interval(a, b, horizon):
    """With one child, the percentage by the horizon is 0 or 100 with no variance: no interval."""
    groups = {"intervention": [a], "comparison": [b]}
    result = time_to_event(rows(groups), measure_code="m", polarity="lower", horizon_days=horizon)
    check(result, groups, horizon)
    assert result.conclusion == "not estimable"


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 200), min_size=1, max_size=20), children_, horizons)
def test_a_group_whose_children_are_all_censored_is_compared_with_none_having_had_the_event(censored, other, horizon):
    groups = {"intervention": [(d, False) for d in censored], "comparison": other}
    result = time_to_event(rows(groups), measure_code="m", polarity="lower", horizon_days=horizon)
    check(result, groups, horizon)
    if result.estimate is not None:
        f2, _ = by_horizon(other, horizon)
        assert result.estimate == pytest.approx(-100 * f2, abs=1e-9)  # 0% in the censored group
    if max(censored) < horizon:
        assert result.conclusion == "not estimable" and "intervention group is followed" in result.reason


def test_the_numbers_at_risk_table_shows_a_dozen_of_the_charts_steps_a_group():
    from types import SimpleNamespace

    from reports.documents import at_risk_steps

    groups = [
        (label, [SimpleNamespace(days=day) for day in days])
        for label, days in (("Intervention", range(0, 712, 3)), ("Comparison", (0, 5, 700)))
    ]
    spacing, chosen = at_risk_steps(groups)
    assert spacing == 60  # 711 days: every 60 days, 12 marks
    # the last step on or before day 0, 60, ..., 660, then the curve's end (day 711)
    assert [step.days for label, step in chosen if label == "Intervention"] == [*range(0, 661, 60), 711]
    assert all(any(step is s for s in steps) for label, step in chosen for name, steps in groups if name == label)
    assert [step.days for label, step in chosen if label == "Comparison"] == [0, 5, 700]  # each once
    assert at_risk_steps([]) == (0, [])
