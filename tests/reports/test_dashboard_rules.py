"""The dashboard's pure rules: status, stage, completeness, task list, assurance, funnel limits —
against values worked by hand and against scipy."""

import math
from datetime import date

import pandas as pd
import pytest
from scipy import stats

from reports.dashboards import funnel, rules

TODAY = date(2026, 6, 15)


def _status(**changes):
    kwargs = dict(
        today=TODAY, overdue_milestones=[], periods_overdue=0, dsa_expired=False, uploads_waiting=0, awaiting_approval=0
    )
    return rules.status(**(kwargs | changes))


def test_an_evaluation_with_nothing_outstanding_is_on_track():
    assert _status() == rules.Status(rules.ON_TRACK)


def test_a_recently_overdue_milestone_or_a_late_period_needs_attention():
    assert _status(overdue_milestones=[date(2026, 6, 1)]).status == rules.NEEDS_ATTENTION
    assert _status(periods_overdue=1).reasons == ("1 period of data overdue",)
    assert _status(awaiting_approval=2).reasons == ("2 periods waiting for approval",)


def test_a_long_overdue_milestone_many_late_periods_or_an_expired_agreement_is_at_risk():
    assert _status(overdue_milestones=[date(2026, 4, 1)]).status == rules.AT_RISK  # 75 days
    assert _status(overdue_milestones=[date(2026, 4, 20)]).status == rules.NEEDS_ATTENTION  # 56 days
    assert _status(periods_overdue=4).status == rules.AT_RISK
    assert _status(periods_overdue=3).status == rules.NEEDS_ATTENTION
    at_risk = _status(dsa_expired=True, uploads_waiting=1)
    assert at_risk.status == rules.AT_RISK
    assert at_risk.reasons == ("the data sharing agreement has expired", "1 upload waiting for an explanation")


def test_the_stage_is_the_first_step_not_done():
    kwargs = dict(onboarded=True, theory_saved=True, plan_signed_off=True, follow_up_end=date(2026, 12, 31), today=TODAY)
    assert rules.stage(**kwargs) == rules.DATA
    assert rules.stage(**(kwargs | {"follow_up_end": date(2026, 3, 31)})) == rules.REPORTING
    assert rules.stage(**(kwargs | {"plan_signed_off": False})) == rules.PLAN
    assert rules.stage(**(kwargs | {"theory_saved": False})) == rules.THEORY
    assert rules.stage(**(kwargs | {"onboarded": False})) == rules.ONBOARDING


def test_completeness_gives_each_period_its_state():
    planned = [(date(2026, m, 1), date(2026, m, 28)) for m in range(1, 7)]
    grid = rules.completeness(
        planned=planned,
        received={date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1), date(2025, 12, 1)},
        approved={date(2026, 1, 1)},
        queried={date(2026, 3, 1)},
        today=TODAY,
    )
    assert grid == [
        (date(2025, 12, 1), rules.OUTSIDE_PLAN),
        (date(2026, 1, 1), rules.APPROVED),
        (date(2026, 2, 1), rules.RECEIVED),
        (date(2026, 3, 1), rules.QUERIED),
        (date(2026, 4, 1), rules.MISSING),  # due 28 May
        (date(2026, 5, 1), rules.NOT_DUE),  # due 27 June
    ]  # June has not ended: not shown
    assert rules.periods_overdue(planned, {date(2026, 1, 1)}, TODAY) == 3
    assert rules.next_due(planned, {date(2026, 1, 1)}, TODAY) == (date(2026, 2, 1), date(2026, 3, 30))


def test_the_next_thing_to_do_is_the_first_step_open():
    kwargs = dict(
        onboarded=True,
        onboarding_started=True,
        theory_saved=True,
        plan_status="draft",
        data_through=None,
        next_period=(date(2026, 1, 1), date(2026, 3, 2)),
        follow_up_end=date(2026, 12, 31),
        reports_done=0,
        today=TODAY,
    )
    tasks = rules.task_list(**kwargs)
    assert [t.status for t in tasks.tasks] == [
        rules.COMPLETED,
        rules.COMPLETED,
        rules.IN_PROGRESS,
        rules.NOT_STARTED,
        rules.CANNOT_START,
    ]
    assert tasks.next_task.key == "plan"
    tasks = rules.task_list(**(kwargs | {"plan_status": "signed_off", "data_through": date(2026, 4, 30)}))
    assert tasks.next_task.key == "data"
    assert "Data received through April 2026. Next due: data for January 2026, by 2 March 2026." == tasks.tasks[3].hint


@pytest.mark.parametrize(
    "target, polarity, expected",
    [
        (5, "higher", "pass"),
        (5, "lower", "fail"),
        (25, "higher", "fail"),
        (25, "lower", "pass"),
        (15, "higher", "hit_and_miss"),
        (None, "higher", "none"),
    ],
)
def test_assurance_compares_the_target_with_the_limits(target, polarity, expected):
    assert rules.assurance(target=target, lower=10, upper=20, polarity=polarity) == expected


def test_binomial_funnel_limits_match_a_hand_worked_small_denominator():
    # n = 10, p0 = 0.5, lower 95% tail 0.025: F(1) = 11/1024, F(2) = 56/1024, so r = 2 and
    # alpha = (56/1024 - 0.025) / (45/1024); the limit is (2 - alpha) / 10.
    alpha = (56 / 1024 - 0.025) / (45 / 1024)
    lower, upper = funnel.funnel_limits(0.5, 10, kind="proportion")["95"]
    assert lower == pytest.approx((2 - alpha) / 10)
    # upper 97.5% tail: F(7) = 968/1024, F(8) = 1013/1024, so r = 8 (the interpolation counts
    # "at most r", so the limits are not mirror images at a small denominator)
    beta = (1013 / 1024 - 0.975) / (45 / 1024)
    assert upper == pytest.approx((8 - beta) / 10)


@pytest.mark.parametrize("level, z", [("95", 1.959964), ("99.8", 3.090232)])
def test_binomial_funnel_limits_approach_the_normal_approximation_at_large_denominators(level, z):
    n, p0 = 20000, 0.3
    lower, upper = funnel.funnel_limits(p0, n, kind="proportion")[level]
    half = z * math.sqrt(p0 * (1 - p0) / n)
    assert lower == pytest.approx(p0 - half, abs=2e-4)
    assert upper == pytest.approx(p0 + half, abs=2e-4)


def test_poisson_funnel_limits_are_scipys_quantiles_interpolated():
    rate, exposure = 0.004, 2000  # expected count 8
    lower, upper = funnel.funnel_limits(rate, exposure, kind="rate")["99.8"]
    poisson = stats.poisson(8)
    r = poisson.ppf(0.999)
    alpha = (poisson.cdf(r) - 0.999) / (poisson.cdf(r) - poisson.cdf(r - 1))
    assert upper == pytest.approx((r - alpha) / exposure)
    assert r == 18  # scipy: the smallest count with F >= 0.999 for a mean of 8
    assert 0 < lower < rate < upper


def test_a_funnel_pools_the_target_and_places_each_partner():
    points = pd.DataFrame({"label": ["A", "B", "C", "D"], "numerator": [30, 300, 80, None], "denominator": [100, 1000, 100, 50]})
    target, placed, curves = funnel.funnel(points, kind="proportion")
    assert target == pytest.approx(410 / 1200)
    assert list(placed["label"]) == ["A", "B", "C"]  # D has no numerator
    # B: 0.300 against 0.342 +- 1.96 x 0.015 at n = 1000
    assert list(placed["position"]) == ["within", "below 95%", "above 99.8%"]
    assert {"size", "lower_95", "upper_95", "lower_99.8", "upper_99.8"} <= set(curves.columns)
    assert (curves["upper_99.8"] >= curves["upper_95"]).all()
