"""The panel's statistics (cohorts.panel) against values worked out by hand."""

import math
from decimal import Decimal

import pandas as pd
import pytest

from cohorts import panel

# The rubric: "fit" is scored and shown but not counted.
WEIGHTS = {"evidence": (Decimal("2.00"), True), "readiness": (Decimal("1.25"), True), "fit": (Decimal("1.50"), False)}


def rows(application, reviewer, submitted=True, **scores):
    return [(application, reviewer, criterion, score, *WEIGHTS[criterion], submitted) for criterion, score in scores.items()]


SCORES = [
    # A: three reviewers.   totals: 2×4 + 1.25×3 = 11.75;  2×3 + 1.25×3 = 9.75;  2×2 + 1.25×5 = 10.25
    *rows("A", "ann", evidence=4, readiness=3, fit=1),
    *rows("A", "bob", evidence=3, readiness=3, fit=4),
    *rows("A", "cat", evidence=2, readiness=5, fit=2),
    # B: two reviewers; they disagree only on "fit", which is not counted.   totals: 9.75, 11.75
    *rows("B", "ann", evidence=3, readiness=3, fit=1),
    *rows("B", "bob", evidence=4, readiness=3, fit=5),
    # C: one submitted review (2×5 + 1.25×5 = 16.25) and a draft that must not count.
    *rows("C", "ann", evidence=5, readiness=5, fit=5),
    *rows("C", "bob", submitted=False, evidence=1, readiness=1, fit=1),
    # D: reviewers one point apart everywhere (threshold 2: no flag); two equal totals.
    #    totals: 2×3 + 1.25×2 = 8.5;  2×2 + 1.25×3 = 7.75;  2×3 + 1.25×2 = 8.5
    *rows("D", "ann", evidence=3, readiness=2, fit=3),
    *rows("D", "bob", evidence=2, readiness=3, fit=2),
    *rows("D", "cat", evidence=3, readiness=2, fit=2),
]


@pytest.fixture
def stats():
    return panel.application_statistics(SCORES, threshold=2, applications=["A", "B", "C", "D", "E"])


def test_a_reviews_weighted_total_counts_only_counted_criteria():
    totals = panel.review_totals(SCORES).set_index(["application", "reviewer"])["total"]
    assert totals[("A", "ann")] == pytest.approx(11.75)
    assert totals[("A", "bob")] == pytest.approx(9.75)
    assert totals[("A", "cat")] == pytest.approx(10.25)
    assert totals[("B", "bob")] == pytest.approx(11.75)
    assert totals[("C", "ann")] == pytest.approx(16.25)
    assert ("C", "bob") not in totals.index  # a draft is not a review yet
    assert len(totals) == 9


def test_mean_median_and_spread_of_the_reviewers_totals(stats):
    a = stats.loc["A"]
    assert a["reviews"] == 3
    assert a["mean"] == pytest.approx((11.75 + 9.75 + 10.25) / 3)  # 10.5833...
    assert a["median"] == pytest.approx(10.25)
    assert a["spread"] == pytest.approx(2.0)


def test_the_median_of_an_even_number_of_totals_is_the_midpoint(stats):
    b = stats.loc["B"]
    assert b["reviews"] == 2 and b["mean"] == pytest.approx(10.75) and b["median"] == pytest.approx(10.75)
    assert b["spread"] == pytest.approx(2.0)


def test_tied_totals_give_the_tied_value_as_median():
    # D: 8.5, 7.75, 8.5 → median 8.5 (the tie), mean 24.75 / 3 = 8.25
    d = panel.application_statistics(SCORES, threshold=2).loc["D"]
    assert d["median"] == pytest.approx(8.5)
    assert d["mean"] == pytest.approx(8.25)
    assert d["spread"] == pytest.approx(0.75)


def test_one_review_has_no_spread_and_no_disagreement(stats):
    c = stats.loc["C"]
    assert c["reviews"] == 1
    assert c["mean"] == c["median"] == pytest.approx(16.25)
    assert c["spread"] == 0
    assert not c["flagged"] and c["disagreements"] == []


def test_an_application_without_reviews_has_no_statistics(stats):
    e = stats.loc["E"]
    assert e["reviews"] == 0
    assert math.isnan(e["mean"]) and math.isnan(e["median"]) and math.isnan(e["spread"])
    assert not e["flagged"] and e["disagreements"] == []


def test_disagreement_on_any_criterion_counted_or_not_flags_the_application(stats):
    # A: evidence 4/3/2 (2 apart), readiness 3/3/5 (2 apart), fit 1/4/2 (3 apart).
    assert stats.loc["A", "flagged"] and stats.loc["A", "disagreements"] == ["evidence", "readiness", "fit"]
    # B: only "fit" (1 and 5), which is not counted, still flags it.
    assert stats.loc["B", "flagged"] and stats.loc["B", "disagreements"] == ["fit"]
    # D: nowhere more than one point apart.
    assert not stats.loc["D", "flagged"]


def test_the_threshold_is_inclusive_and_configurable():
    assert panel.application_statistics(SCORES, threshold=3).loc["A", "disagreements"] == ["fit"]
    assert panel.application_statistics(SCORES, threshold=4).loc["B", "disagreements"] == ["fit"]
    assert not panel.application_statistics(SCORES, threshold=5).loc["B", "flagged"]
    assert panel.application_statistics(SCORES, threshold=1).loc["D", "disagreements"] == ["evidence", "readiness", "fit"]


def test_no_scores_at_all():
    stats = panel.application_statistics([], threshold=2, applications=["X"])
    assert list(stats.index) == ["X"] and stats.loc["X", "reviews"] == 0 and not stats.loc["X", "flagged"]
    assert panel.application_statistics([], threshold=2).empty
    assert panel.review_totals([]).empty


def test_a_review_of_uncounted_criteria_only_totals_zero():
    data = [("X", "ann", "fit", 5, Decimal("1.5"), False)]
    stats = panel.application_statistics(data, threshold=2)
    assert stats.loc["X", "reviews"] == 1 and stats.loc["X", "mean"] == 0


def test_it_takes_a_dataframe_or_dicts_alike(stats):
    frame = pd.DataFrame(SCORES, columns=panel.SCORE_COLUMNS + ["submitted"])
    dicts = frame.to_dict("records")
    for data in (frame, dicts):
        other = panel.application_statistics(data, threshold=2, applications=["A", "B", "C", "D", "E"])
        pd.testing.assert_frame_equal(other, stats)
